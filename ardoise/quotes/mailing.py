"""E-mails of quotes and pro forma invoices: the template kinds, their values, and sending with the PDF.

The ``{lien}`` placeholder is the quote's page on the customer portal, given
by ``ardoise.mailing.links.portal_link``. It is empty until the portal app
registers its URL builder, and the default message then leaves the link out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core.formats import format_amount, format_date
from ardoise.mailing import placeholders
from ardoise.mailing.links import portal_link
from ardoise.mailing.models import DeliveryStatus, OutboundEmail
from ardoise.mailing.placeholders import Placeholder
from ardoise.mailing.services import send_pdf_email
from ardoise.mailing.templating import (
    Composed,
    TemplateKind,
    register_kind,
    render_composed,
    safe_filename,
    template_for,
)
from ardoise.quotes.exceptions import QuoteError
from ardoise.quotes.models import Quote, QuoteKind, QuoteStatus

VALIDITY = Placeholder("validite", gettext_lazy("date de fin de validité du devis"))

QUOTE_PLACEHOLDERS = (
    placeholders.CUSTOMER,
    placeholders.NUMBER,
    placeholders.DATE,
    placeholders.AMOUNT,
    VALIDITY,
    placeholders.PORTAL_LINK,
    placeholders.ORGANISATION,
)


def _sample_values(organisation: Any) -> dict[str, str]:
    return {
        "client": "Boulangerie Martin SAS",
        "organisation": organisation.name,
        "numero": "D-2026-0042",
        "date": "04/12/2026",
        "montant": format_amount(Decimal("1440.00"), "EUR"),
        "validite": "03/01/2027",
        "lien": "https://ardoise.example/portail/…",
    }


def _documents(kind: str) -> Callable[[Any], list[tuple[str, str]]]:
    def documents(organisation: Any) -> list[tuple[str, str]]:
        quotes = Quote.objects.filter(organisation=organisation, kind=kind).issued().order_by("-issue_date", "-id")
        return [(str(quote.pk), quote.number) for quote in quotes[:20]]

    return documents


def _document_values(kind: str) -> Callable[[Any, str], dict[str, str] | None]:
    def document_values(organisation: Any, quote_id: str) -> dict[str, str] | None:
        quote = Quote.objects.filter(organisation=organisation, kind=kind, pk=int(quote_id)).issued().first()
        return quote_values(quote) if quote is not None else None

    return document_values


QUOTE = register_kind(
    TemplateKind(
        name="quote",
        label=gettext_lazy("Devis"),
        description=gettext_lazy("Envoi d'un devis émis, avec son PDF et le lien pour l'accepter en ligne."),
        placeholders=QUOTE_PLACEHOLDERS,
        default_subject=gettext_lazy("Devis {numero} – {organisation}"),
        default_body=gettext_lazy(
            "Bonjour,\n\n"
            "Veuillez trouver ci-joint notre devis {numero} du {date}, d'un montant de {montant} TTC, "
            "valable jusqu'au {validite}.\n\n"
            "Pour l'accepter, retournez-le daté et signé avec la mention « Bon pour accord », "
            "ou acceptez-le en ligne : {lien}\n\n"
            "Nous restons à votre disposition pour toute question.\n\n"
            "Cordialement,\n{organisation}"
        ),
        default_attachment_name=gettext_lazy("Devis-{numero}.pdf"),
        sample_values=_sample_values,
        documents=_documents(QuoteKind.QUOTE),
        document_values=_document_values(QuoteKind.QUOTE),
    )
)

PROFORMA = register_kind(
    TemplateKind(
        name="proforma",
        label=gettext_lazy("Facture pro forma"),
        description=gettext_lazy("Envoi d'une facture pro forma émise, avec son PDF."),
        placeholders=QUOTE_PLACEHOLDERS,
        default_subject=gettext_lazy("Facture pro forma {numero} – {organisation}"),
        default_body=gettext_lazy(
            "Bonjour,\n\n"
            "Veuillez trouver ci-joint notre facture pro forma {numero} du {date}, d'un montant de {montant} TTC, "
            "valable jusqu'au {validite}.\n\n"
            "Nous restons à votre disposition pour toute question.\n\n"
            "Cordialement,\n{organisation}"
        ),
        default_attachment_name=gettext_lazy("Facture-pro-forma-{numero}.pdf"),
        sample_values=_sample_values,
        documents=_documents(QuoteKind.PROFORMA),
        document_values=_document_values(QuoteKind.PROFORMA),
    )
)


def quote_kind(quote: Quote) -> TemplateKind:
    return PROFORMA if quote.is_proforma else QUOTE


def quote_values(quote: Quote, request: Any = None) -> dict[str, str]:
    """Return the placeholder values of an issued quote, formatted the French way."""
    return {
        "client": quote.customer.name,
        "organisation": quote.organisation.name,
        "numero": quote.number,
        "date": format_date(quote.issue_date) if quote.issue_date else "",
        "montant": format_amount(quote.total_with_vat, quote.currency),
        "validite": format_date(quote.validity_date) if quote.validity_date else "",
        "lien": portal_link(quote, request=request),
    }


def _default_composed(quote: Quote, values: dict[str, str]) -> Composed:
    """Write Ardoise's own message; without a portal link, the sentence about accepting online is left out."""
    kind = quote_kind(quote)
    body = str(kind.default_body)
    if not values["lien"]:
        body = body.replace(
            _(
                "Pour l'accepter, retournez-le daté et signé avec la mention « Bon pour accord », "
                "ou acceptez-le en ligne : {lien}"
            ),
            _("Pour l'accepter, retournez-le daté et signé avec la mention « Bon pour accord »."),
        )
    return render_composed(str(kind.default_subject), body, str(kind.default_attachment_name), values)


def compose_quote_email(quote: Quote, request: Any = None) -> Composed:
    """Write an issued quote's e-mail: the organisation's template if it has one, else the default message."""
    values = quote_values(quote, request)
    template = template_for(quote.organisation, quote_kind(quote))
    if template is None:
        return _default_composed(quote, values)
    return render_composed(template.subject, template.body, template.attachment_name, values)


def send_quote_email(
    quote: Quote,
    to: str | Sequence[str],
    subject: str,
    body: str,
    cc: str | Sequence[str] | None = None,
    *,
    bcc: str | Sequence[str] | None = None,
    user: Any = None,
    request: Any = None,
) -> OutboundEmail:
    """Send an issued quote with its PDF attached, record the delivery, and mark the quote as sent.

    An SMTP failure does not raise: the record gets status « failed » and the
    quote keeps its status. The « mailing.retry_failed » job sends it again
    later and calls ``quote_email_delivered`` once it is delivered.
    """
    if quote.is_draft:
        raise QuoteError(_("Seul un devis émis peut être envoyé : émettez d'abord ce brouillon."))
    values = quote_values(quote, request)
    template = template_for(quote.organisation, quote_kind(quote))
    attachment = (
        safe_filename(placeholders.render(template.attachment_name, values))
        if template is not None
        else _default_composed(quote, values).attachment_name
    )
    outbound = send_pdf_email(
        quote.organisation,
        to,
        subject,
        body,
        cc,
        bcc=bcc,
        attachment_name=attachment,
        pdf=quote.issued_pdf(),
        quote=quote,
        audit_object=quote,
        user=user,
        request=request,
    )
    if outbound.status != DeliveryStatus.FAILED and quote.status == QuoteStatus.ISSUED:
        from ardoise.quotes.services import mark_sent

        mark_sent(quote, user=user, request=request)
    return outbound


def quote_email_delivered(outbound: OutboundEmail) -> None:
    """Mark the quote of an e-mail that a retry delivered as sent, when it is still only issued."""
    quote = outbound.quote
    if quote is None or quote.status != QuoteStatus.ISSUED:
        return
    from ardoise.quotes.services import mark_sent

    mark_sent(quote)
