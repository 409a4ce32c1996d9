"""The JSON body of each event: an envelope with the event's id and type, and the object it is about.

Amounts are strings with two decimals (``"120.00"``) so that no receiver
reads them as binary floats; dates are ISO 8601.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ardoise.invoicing.models import Invoice
from ardoise.payments.models import Receipt
from ardoise.webhooks.models import Delivery, EventType


def envelope(delivery: Delivery) -> dict[str, Any]:
    organisation = delivery.organisation
    return {
        "id": str(delivery.event_id),
        "type": delivery.event_type,
        "created_at": delivery.created_at.isoformat(),
        "organisation": {"siren": organisation.siren, "name": organisation.name},
        "data": _data(delivery),
    }


def _data(delivery: Delivery) -> dict[str, Any]:
    if delivery.event_type == EventType.PING:
        return {"message": "Ardoise webhook test"}
    if delivery.event_type == EventType.PAYMENT_RECORDED:
        receipt = Receipt.objects.select_related("customer").get(pk=delivery.object_id)
        return receipt_data(receipt)
    if delivery.event_type in (EventType.QUOTE_ACCEPTED, EventType.QUOTE_REFUSED):
        from ardoise.quotes.models import Quote

        return quote_data(Quote.objects.select_related("customer").get(pk=delivery.object_id))
    invoice = Invoice.objects.select_related("customer").get(pk=delivery.object_id)
    data = invoice_data(invoice)
    if delivery.event_type == EventType.INVOICE_OVERDUE and invoice.due_date:
        # Counted on the day the event happened, not on the day it is delivered.
        data["days_late"] = (timezone.localdate(delivery.created_at) - invoice.due_date).days
    return data


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "type_code": invoice.type_code,
        "customer": {"id": invoice.customer_id, "name": invoice.customer.name},
        "issue_date": _date(invoice.issue_date),
        "due_date": _date(invoice.due_date),
        "currency": invoice.currency,
        "total_without_vat": str(invoice.total_without_vat),
        "total_vat": str(invoice.total_vat),
        "total_with_vat": str(invoice.total_with_vat),
        "amount_due": str(invoice.amount_due),
        "balance": str(invoice.balance()),
        "credited_invoice": invoice.credited_invoice.number if invoice.credited_invoice_id else None,
    }


def quote_data(quote: Any) -> dict[str, Any]:
    """Describe a quote and the customer's decision on the portal, when there is one."""
    decision = getattr(quote, "portal_decision", None)
    return {
        "id": quote.pk,
        "number": quote.number,
        "status": quote.status,
        "customer": {"id": quote.customer_id, "name": quote.customer.name},
        "issue_date": _date(quote.issue_date),
        "validity_date": _date(quote.validity_date),
        "currency": quote.currency,
        "total_without_vat": str(quote.total_without_vat),
        "total_vat": str(quote.total_vat),
        "total_with_vat": str(quote.total_with_vat),
        "decision": None
        if decision is None
        else {
            "decision": decision.decision,
            "name": decision.name,
            "comment": decision.comment,
            "decided_at": decision.decided_at.isoformat(),
            "pdf_sha256": decision.pdf_sha256,
        },
    }


def receipt_data(receipt: Receipt) -> dict[str, Any]:
    payments = receipt.payments.select_related("invoice").order_by("pk")
    return {
        "id": receipt.pk,
        "customer": {"id": receipt.customer_id, "name": receipt.customer.name},
        "date": _date(receipt.date),
        "amount": str(receipt.amount),
        "currency": receipt.currency,
        "method": receipt.method,
        "reference": receipt.reference,
        "bank_fees": str(receipt.bank_fees),
        "allocations": [{"invoice": payment.invoice.number, "amount": str(payment.amount)} for payment in payments],
        "unallocated": str(receipt.unallocated()),
    }


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None
