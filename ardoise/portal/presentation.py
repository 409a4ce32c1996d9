"""What the portal page shows a customer: the seller, the document's lines and totals, how to pay or answer.

Everything comes from the issued snapshot, as printed on the PDF, except the
amount left to pay and the payment state of an invoice, which follow the
payments recorded since, and the status of a quote.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ardoise.core.document import InvoiceDocument
from ardoise.invoicing import queries
from ardoise.invoicing.models import Invoice, PaymentState
from ardoise.invoicing.presentation import (
    PaymentQr,
    document_adjustment_rows,
    invoice_filename,
    issued_document,
    issued_summary,
    payment_qr,
    summarise,
)
from ardoise.quotes.documents import issued_quote_document
from ardoise.quotes.models import Quote

# The payment state as the customer reads it: « Émise » means nothing to someone who has to pay.
CUSTOMER_STATES: dict[str, Promise] = {
    PaymentState.ISSUED: _("À payer"),
    PaymentState.PARTIALLY_PAID: _("Partiellement payée"),
    PaymentState.PAID: _("Payée"),
    PaymentState.OVERDUE: _("À payer, échéance dépassée"),
    PaymentState.CANCELLED: _("Annulée par avoir"),
    PaymentState.REFUND_DUE: _("Remboursement en cours"),
    PaymentState.SETTLED: _("Soldé"),
}
# Logo types a browser shows safely in <img>; the portal page inlines the logo as a data: URI.
INLINE_LOGO_TYPES = {"image/png", "image/jpeg", "image/webp", "image/svg+xml"}


@dataclass(frozen=True)
class PaymentInstructions:
    """How to pay what is left: bank details, amount, the reference to quote and the SEPA QR code."""

    iban: str
    bic: str
    amount: Decimal
    currency: str
    reference: str
    qr: PaymentQr | None


def logo_uri(organisation: Any) -> str:
    """Return the organisation's logo as a data: URI for the page, or "" when it has none a browser shows."""
    if not organisation.logo or organisation.logo_content_type not in INLINE_LOGO_TYPES:
        return ""
    encoded = base64.b64encode(bytes(organisation.logo)).decode()
    return "data:%s;base64,%s" % (organisation.logo_content_type, encoded)


def payment_instructions(invoice: Invoice, document: InvoiceDocument, balance: Decimal) -> PaymentInstructions | None:
    """Return the transfer details of an invoice with something left to pay, or None."""
    if invoice.is_credit_note or balance <= 0 or not document.iban:
        return None
    return PaymentInstructions(
        iban=document.iban,
        bic=document.bic,
        amount=balance,
        currency=document.currency,
        reference=document.payment_reference or document.number,
        qr=payment_qr(invoice, document, balance),
    )


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    """Return the portal page's context for an issued invoice or credit note."""
    invoice = queries.with_balance(Invoice.objects.filter(pk=invoice.pk)).select_related("organisation").get()
    document = issued_document(invoice)
    balance = invoice.balance()
    state = invoice.payment_state()
    return {
        "kind": "credit_note" if invoice.is_credit_note else "invoice",
        "invoice": invoice,
        "document": document,
        "seller": document.seller,
        "summary": issued_summary(invoice),
        # AAI: the notes the user wrote on the document; the legal mentions are listed apart.
        "notes": [note.text for note in document.notes if note.subject_code == "AAI"],
        "legal_mentions": document.legal_mentions,
        "state": state,
        "state_label": CUSTOMER_STATES.get(state, state.label),
        "balance": balance,
        "payment": payment_instructions(invoice, document, balance),
        "logo": logo_uri(invoice.organisation),
        "pdf_name": invoice_filename(invoice.number, "pdf", invoice.type_code),
    }


def quote_context(quote: Quote) -> dict[str, Any]:
    """Return the portal page's context for an issued quote or pro forma invoice."""
    from ardoise.portal.decisions import pdf_digest

    quote = Quote.objects.select_related("organisation", "portal_decision").get(pk=quote.pk)
    snapshot = issued_quote_document(quote)
    document = snapshot.body
    totals = document.totals()
    adjustments = (*document.allowances, *document.charges)
    rows = document_adjustment_rows(
        adjustments, (*totals.allowance_amounts, *totals.charge_amounts), [False] * len(adjustments)
    )
    summary = summarise(document.lines, totals, document.vat_exemptions, document.currency, rows)
    return {
        "kind": "proforma" if quote.is_proforma else "quote",
        "quote": quote,
        "snapshot": snapshot,
        "document": document,
        "seller": document.seller,
        "summary": summary,
        "notes": [note.text for note in document.notes if note.subject_code == "AAI"],
        "legal_mentions": document.legal_mentions,
        "logo": logo_uri(quote.organisation),
        "decision": getattr(quote, "portal_decision", None),
        "can_decide": quote.is_open and not quote.is_proforma,
        "pdf_sha256": pdf_digest(quote),
    }
