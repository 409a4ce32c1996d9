"""Receipt queries shared by the receipts pages, the customer and invoice pages and the CLI."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ardoise.core.money import currency_decimals, quantize
from ardoise.customers.models import Customer
from ardoise.payments.models import Payment, Receipt, ReceiptKind

ZERO = Decimal("0.00")
AMOUNT = models.DecimalField(max_digits=14, decimal_places=2)


def with_allocated(receipts: models.QuerySet[Receipt]) -> models.QuerySet[Any]:
    """Annotate ``allocated_amount``, what each receipt settles on invoices or credit notes (reversals included),
    and ``unallocated_amount``, the rest: the customer credit a received receipt left."""
    total = Payment.objects.filter(receipt=OuterRef("pk")).order_by().values("receipt").annotate(total=Sum("amount"))
    allocated = Coalesce(Subquery(total.values("total"), output_field=AMOUNT), Value(ZERO), output_field=AMOUNT)
    return receipts.annotate(allocated_amount=allocated).annotate(
        unallocated_amount=ExpressionWrapper(F("amount") - F("allocated_amount"), output_field=AMOUNT)
    )


def filter_receipts(
    receipts: models.QuerySet[Any],
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    customer: Customer | None = None,
    method: str = "",
    text: str = "",
) -> models.QuerySet[Any]:
    """Keep the receipts dated from ``start`` to ``end`` (both included), of one customer and method,
    whose reference contains ``text``."""
    if start:
        receipts = receipts.filter(date__gte=start)
    if end:
        receipts = receipts.filter(date__lte=end)
    if customer is not None:
        receipts = receipts.filter(customer=customer)
    if method:
        receipts = receipts.filter(method=method)
    text = text.strip()
    if text:
        receipts = receipts.filter(Q(reference__icontains=text))
    return receipts


@dataclass(frozen=True)
class ReceiptTotals:
    """The totals of a list of receipts in one currency; reversals count negatively."""

    currency: str
    received: Decimal
    bank_fees: Decimal
    allocated: Decimal
    unallocated: Decimal
    refunded: Decimal


def receipt_totals(receipts: models.QuerySet[Receipt]) -> list[ReceiptTotals]:
    """Return the totals of ``receipts`` per currency, euro first.

    ``allocated`` and ``unallocated`` split the received money between the
    invoices it settles and the customer credit it left; ``refunded`` is what
    was paid back, on credit notes or from customer credit.
    """
    receipts = receipts.order_by()
    sums: dict[tuple[str, str], dict[str, Any]] = {
        (row["currency"], row["kind"]): dict(row)
        for row in receipts.values("currency", "kind").annotate(amount=Sum("amount"), fees=Sum("bank_fees"))
    }
    allocated: dict[str, Any] = dict(
        Payment.objects.filter(receipt__in=receipts.filter(kind=ReceiptKind.RECEIVED).values("pk"))
        .order_by()
        .values("receipt__currency")
        .annotate(total=Sum("amount"))
        .values_list("receipt__currency", "total")
    )
    currencies = sorted({currency for currency, _kind in sums}, key=lambda code: (code != "EUR", code))
    totals = []
    for currency in currencies:
        places = currency_decimals(currency)
        received_row = sums.get((currency, ReceiptKind.RECEIVED), {})
        refund_row = sums.get((currency, ReceiptKind.REFUND), {})

        def amount(value: Any, places: int = places) -> Decimal:
            # SQLite returns sums without their decimal places ("500" for 500.00).
            return quantize(Decimal(value or 0), places)

        received = amount(received_row.get("amount"))
        settled = amount(allocated.get(currency))
        totals.append(
            ReceiptTotals(
                currency=currency,
                received=received,
                bank_fees=amount(received_row.get("fees")) + amount(refund_row.get("fees")),
                allocated=settled,
                unallocated=received - settled,
                refunded=amount(refund_row.get("amount")),
            )
        )
    return totals


def customer_credits(customer: Customer) -> dict[str, Decimal]:
    """Return the customer's non-zero credit per currency, euro first."""
    from ardoise.payments.services import customer_credit

    currencies = set(Receipt.objects.filter(customer=customer).values_list("currency", flat=True).distinct())
    credits = {}
    for currency in sorted(currencies, key=lambda code: (code != "EUR", code)):
        credit = customer_credit(customer, currency)
        if credit:
            credits[currency] = credit
    return credits


def invoice_payment_context(invoice: Any, balance: Decimal) -> dict[str, Any]:
    """Return what the invoice page shows about the customer credit the invoice can use."""
    from ardoise.payments.services import customer_credit

    context: dict[str, Any] = {}
    if not invoice.is_draft and not invoice.is_credit_note and balance > 0:
        credit = customer_credit(invoice.customer, invoice.currency)
        if credit > 0:
            context["available_credit"] = credit
            context["credit_to_apply"] = min(credit, balance)
    return context
