"""Template tags showing the links between quotes, their invoices and the invoices' credit notes."""

from __future__ import annotations

from typing import Any

from django import template

from ardoise.invoicing.models import Invoice
from ardoise.quotes.billing_models import QuoteInvoice
from ardoise.quotes.models import Quote

register = template.Library()


@register.inclusion_tag("quotes/includes/billing_table.html")
def quote_invoices(quote: Quote) -> dict[str, Any]:
    """Render the invoices made from the quote, drafts included, with their kind, amount and credit notes."""
    links = QuoteInvoice.objects.filter(quote=quote).select_related("invoice").order_by("created_at", "id")
    rows = [
        {
            "kind": link.get_kind_display(),
            "invoice": link.invoice,
            "credit_notes": list(link.invoice.credit_notes.order_by("id")),
        }
        for link in links
    ]
    return {"quote": quote, "rows": rows}


@register.inclusion_tag("quotes/includes/invoice_quote.html")
def invoice_quote(invoice: Invoice) -> dict[str, Any]:
    """Render « Devis D-2026-0007 » on an invoice made from a quote, or on a credit note of one, with its siblings."""
    target = invoice.credited_invoice if invoice.is_credit_note and invoice.credited_invoice else invoice
    link = QuoteInvoice.objects.select_related("quote").filter(invoice=target).first()
    if link is None:
        return {"link": None}
    siblings = (
        QuoteInvoice.objects.filter(quote=link.quote)
        .exclude(invoice=target)
        .exclude(invoice__number="")
        .select_related("invoice")
        .order_by("invoice__issued_at", "id")
    )
    return {"link": link, "invoice": invoice, "siblings": list(siblings)}
