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
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from ardoise.core.ratelimit import hit, peek
from ardoise.invoicing.models import Invoice, IssuedFile
from ardoise.invoicing.presentation import invoice_filename
from ardoise.portal import links
from ardoise.portal.models import PortalLink
from ardoise.portal.presentation import invoice_context

logger = logging.getLogger(__name__)

FAILURE_SCOPE = "portal-failures"
FAILURE_WINDOW_SECONDS = 600

type View = Callable[..., HttpResponse]


def portal_view(view: View) -> View:
    """Open a portal view to anonymous visitors, keep its pages out of caches and search engines."""

    @login_not_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        response["X-Robots-Tag"] = "noindex, nofollow"
        # The token is in the address: no page the customer goes to next learns it.
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def not_found(request: HttpRequest) -> HttpResponse:
    """Count a failure of the visitor's address and answer the portal's 404, the same for every cause."""
    address = _client_address(request)
    counted = hit(FAILURE_SCOPE, address, FAILURE_WINDOW_SECONDS)
    if counted.count == settings.PORTAL_FAILURE_LIMIT:
        logger.warning("portal failures limit reached address=%s window_seconds=%s", address, FAILURE_WINDOW_SECONDS)
    return render(request, "portal/not_found.html", status=404)


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
    invoice, _files = _issued_files(link)
    links.mark_viewed(link)
    context = invoice_context(invoice) | {"token": token, "link": link}
    return render(request, "portal/document.html", context)


@portal_view
@require_GET
def document_pdf(request: HttpRequest, token: str) -> HttpResponse:
    link = _open(request, token)
    if isinstance(link, HttpResponse):
        return link
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
