"""The customer portal: public pages opened by a signed link, without an account.

Every failure (malformed or altered token, unknown, expired or revoked link)
gets the same 404 page, which names nothing. Failures are counted per IP
address, and an address past ``PORTAL_FAILURE_LIMIT`` in 10 minutes gets 429
until the window ends, so that guessing tokens is slow as well as hopeless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ardoise.core.ratelimit import hit, peek
from ardoise.invoicing.models import Invoice, IssuedFile
from ardoise.invoicing.presentation import invoice_filename
from ardoise.portal import links
from ardoise.portal.decisions import pdf_digest, record_decision
from ardoise.portal.exceptions import PortalError
from ardoise.portal.forms import DecisionForm
from ardoise.portal.models import PortalLink
from ardoise.portal.presentation import invoice_context, quote_context
from ardoise.quotes.models import Quote

logger = logging.getLogger(__name__)

FAILURE_SCOPE = "portal-failures"
FAILURE_WINDOW_SECONDS = 600

type View = Callable[..., HttpResponse]


def portal_view(view: View) -> View:
    """Open a portal view to anonymous visitors, keep its pages out of caches and search engines.

    The site's Referrer-Policy, « same-origin », already keeps the token of the
    address from other sites. « no-referrer » would also make browsers send
    ``Origin: null`` with the decision form, which Django's CSRF check rejects.
    """

    @login_not_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def not_found(request: HttpRequest) -> HttpResponse:
    """Count a failure of the visitor's address and return the portal's 404, the same for every cause."""
    address = _client_address(request)
    counted = hit(FAILURE_SCOPE, address, FAILURE_WINDOW_SECONDS)
    if counted.count == settings.PORTAL_FAILURE_LIMIT:
        logger.warning("portal failures limit reached address=%s window_seconds=%s", address, FAILURE_WINDOW_SECONDS)
    return render(request, "portal/not_found.html", status=404)


def _plain_not_found(request: HttpRequest) -> HttpResponse:
    """Return the portal's 404, without counting a failure, for a file that a valid link's document lacks."""
    return render(request, "portal/not_found.html", status=404)


def quote_filename(quote: Quote) -> str:
    prefix = _("Facture-pro-forma") if quote.is_proforma else _("Devis")
    return "%s-%s.pdf" % (prefix, quote.number)


def _too_many_failures(request: HttpRequest) -> HttpResponse | None:
    counted = peek(FAILURE_SCOPE, _client_address(request), FAILURE_WINDOW_SECONDS)
    if counted.count < settings.PORTAL_FAILURE_LIMIT:
        return None
    response = render(request, "portal/too_many.html", {"seconds": counted.retry_after}, status=429)
    response["Retry-After"] = str(counted.retry_after)
    return response


def _open(request: HttpRequest, token: str) -> PortalLink | HttpResponse:
    """Return the usable link of ``token``, or the response to send instead (429 or 404)."""
    blocked = _too_many_failures(request)
    if blocked is not None:
        return blocked
    link = links.find_link(token)
    if link is None:
        return not_found(request)
    return link


@portal_view
@require_GET
def document(request: HttpRequest, token: str) -> HttpResponse:
    link = _open(request, token)
    if isinstance(link, HttpResponse):
        return link
    quote = link.quote
    if quote is not None:
        links.mark_viewed(link)
        return _quote_page(request, quote, link, token, DecisionForm(quote=quote, initial=_decision_initial(quote)))
    invoice, _files = _issued_files(link)
    links.mark_viewed(link)
    context = invoice_context(invoice) | {"token": token, "link": link}
    return render(request, "portal/document.html", context)


def _decision_initial(quote: Quote) -> dict[str, str]:
    return {"pdf_sha256": pdf_digest(quote)}


def _quote_page(
    request: HttpRequest, quote: Quote, link: PortalLink, token: str, form: DecisionForm, *, status: int = 200
) -> HttpResponse:
    context = quote_context(quote) | {"token": token, "link": link, "form": form}
    return render(request, "portal/quote.html", context, status=status)


@portal_view
@require_POST
def decide(request: HttpRequest, token: str) -> HttpResponse:
    """Accept or refuse the link's quote; a quote decided already shows its decision again."""
    link = _open(request, token)
    if isinstance(link, HttpResponse):
        return link
    quote = link.quote
    if quote is None:
        return _plain_not_found(request)
    form = DecisionForm(request.POST, quote=quote)
    if not form.is_valid():
        return _quote_page(request, quote, link, token, form, status=400)
    try:
        record_decision(
            link,
            accepted=form.accepted,
            name=form.cleaned_data["name"],
            comment=form.cleaned_data["comment"],
            pdf_sha256=form.cleaned_data["pdf_sha256"],
            request=request,
        )
    except PortalError as error:
        form.add_error(None, error.message)
        return _quote_page(request, quote, link, token, form, status=409)
    # Post/Redirect/Get: reloading the page does not post the form again.
    return redirect(reverse("portal:document", kwargs={"token": token}) + "#decision")


@portal_view
@require_GET
def document_pdf(request: HttpRequest, token: str) -> HttpResponse:
    link = _open(request, token)
    if isinstance(link, HttpResponse):
        return link
    if link.quote is not None:
        links.mark_used(link)
        return _attachment(link.quote.issued_pdf(), "application/pdf", quote_filename(link.quote))
    invoice, files = _issued_files(link)
    links.mark_used(link)
    return _attachment(bytes(files.pdf), "application/pdf", invoice_filename(invoice.number, "pdf", invoice.type_code))


@portal_view
@require_GET
def document_facturx(request: HttpRequest, token: str) -> HttpResponse:
    """Serve the Factur-X XML (CII) embedded in the invoice's PDF, for the customer's accounting software."""
    link = _open(request, token)
    if isinstance(link, HttpResponse):
        return link
    if link.quote is not None:
        # A quote is not an invoice: it has no Factur-X data.
        return _plain_not_found(request)
    invoice, files = _issued_files(link)
    links.mark_used(link)
    return _attachment(bytes(files.xml), "application/xml", invoice_filename(invoice.number, "xml", invoice.type_code))


def _issued_files(link: PortalLink) -> tuple[Invoice, IssuedFile]:
    invoice = link.invoice
    files = IssuedFile.objects.filter(invoice=invoice).first() if invoice is not None else None
    if invoice is None or files is None:
        # create_link refuses drafts, so an issued invoice without its files would be a broken install.
        logger.error("portal link without issued files link=%s", link.pk)
        raise Http404
    return invoice, files


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["Content-Length"] = str(len(content))
    return response
