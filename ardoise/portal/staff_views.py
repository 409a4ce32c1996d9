"""The business's side of the portal: create, show and revoke the links of a document from its page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ardoise.core.views import get_scoped_or_404
from ardoise.invoicing.models import Invoice
from ardoise.portal import links
from ardoise.portal.exceptions import PortalError
from ardoise.portal.models import PortalLink
from ardoise.quotes.models import Quote


def _back_to(document: Any) -> HttpResponse:
    return redirect(document.get_absolute_url() + "#portail")


def _create(request: HttpRequest, document: Invoice | Quote) -> HttpResponse:
    """Create a link to the document, or keep the one that can be reused, and show it on the document's page."""
    try:
        links.portal_url(document, request)
    except PortalError as error:
        messages.error(request, error.message)
        return _back_to(document)
    messages.success(request, _("Le lien du portail est prêt : copiez-le ci-dessous pour l'envoyer à votre client."))
    return _back_to(document)


@require_POST
def invoice_link_create(request: HttpRequest, invoice_pk: int) -> HttpResponse:
    return _create(request, get_scoped_or_404(request, Invoice, pk=invoice_pk, recurring_template__isnull=True))


@require_POST
def quote_link_create(request: HttpRequest, quote_pk: int) -> HttpResponse:
    return _create(request, get_scoped_or_404(request, Quote, pk=quote_pk))


@require_POST
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_scoped_or_404(request, PortalLink, pk=pk)
    links.revoke_link(link, user=request.user, request=request)
    messages.success(request, _("Lien révoqué : votre client ne peut plus ouvrir le document avec cette adresse."))
    return _back_to(link.document)
