"""Invoice queries shared by the list, the dashboard and the reports.

The payment state a user sees (``Invoice.payment_state``) is derived from the
status, the payments and the due date. These filters compute the same state
in SQL, so that lists are filtered and paginated in the database.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ardoise.invoicing.models import Invoice, InvoiceStatus, PaymentState
from ardoise.payments.models import Payment

ZERO = Decimal("0.00")
AMOUNT = models.DecimalField(max_digits=14, decimal_places=2)


def with_balance(invoices: models.QuerySet[Invoice]) -> models.QuerySet[Invoice]:
    """Annotate ``paid_amount`` and ``balance_amount``.

    A subquery rather than a join, so that the annotations can be filtered on
    and summed without GROUP BY, and so that ``Invoice.paid_total()`` reuses them.
    """
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return invoices.annotate(
        paid_amount=Coalesce(Subquery(paid, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT)
    ).annotate(balance_amount=models.ExpressionWrapper(F("amount_due") - F("paid_amount"), output_field=AMOUNT))


def in_state(invoices: models.QuerySet[Any], state: str, today: datetime.date) -> models.QuerySet[Any]:
    """Keep the invoices in one ``PaymentState``; ``invoices`` must come from ``with_balance``.

    The querysets are typed ``Any`` because django-stubs cannot see the ``paid_amount`` annotation.
    """
    if state == PaymentState.DRAFT:
        return invoices.filter(status=InvoiceStatus.DRAFT)

    issued = invoices.exclude(status=InvoiceStatus.DRAFT)
    if state == PaymentState.PAID:
        return issued.filter(paid_amount__gte=F("amount_due"))

    unpaid = issued.filter(paid_amount__lt=F("amount_due"))
    if state == PaymentState.OVERDUE:
        return unpaid.filter(due_date__lt=today)

    not_late = unpaid.filter(Q(due_date__gte=today) | Q(due_date__isnull=True))
    if state == PaymentState.PARTIALLY_PAID:
        return not_late.filter(paid_amount__gt=ZERO)
    if state == PaymentState.ISSUED:
        return not_late.filter(paid_amount=ZERO)
    return invoices


def search(invoices: models.QuerySet[Invoice], text: str) -> models.QuerySet[Invoice]:
    """Keep the invoices whose number or customer name contains ``text``."""
    text = text.strip()
    if not text:
        return invoices
    return invoices.filter(Q(number__icontains=text) | Q(customer__name__icontains=text))


def month_start(today: datetime.date) -> datetime.date:
    return today.replace(day=1)
