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
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest, Least

from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus, PaymentState
from ardoise.payments.models import Payment

ZERO = Decimal("0.00")
AMOUNT = models.DecimalField(max_digits=14, decimal_places=2)


def _sum_subquery(queryset: models.QuerySet[Any], group: str, field: str) -> Coalesce:
    """Return ``Sum(field)`` of ``queryset`` per ``group`` as a subquery, zero when there is no row."""
    total = queryset.order_by().values(group).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT)


def _paid(invoice: Any) -> Coalesce:
    return _sum_subquery(Payment.objects.filter(invoice=invoice), "invoice", "amount")


def _credited(invoice: Any) -> Coalesce:
    credit_notes = Invoice.objects.filter(credited_invoice=invoice, status=InvoiceStatus.ISSUED)
    return _sum_subquery(credit_notes, "credited_invoice", "amount_due")


def _refunded(invoice: Any) -> Coalesce:
    refunds = Payment.objects.filter(invoice__credited_invoice=invoice, invoice__status=InvoiceStatus.ISSUED)
    return _sum_subquery(refunds, "invoice__credited_invoice", "amount")


def with_balance(invoices: models.QuerySet[Invoice]) -> models.QuerySet[Invoice]:
    """Annotate ``paid_amount``, ``credited_amount``, ``refunded_amount`` and ``balance_amount``.

    Subqueries rather than joins, so that the annotations can be filtered on
    and summed without GROUP BY, and so that ``Invoice.balance()`` and
    ``Invoice.payment_state()`` reuse them. An invoice's balance is its amount
    due minus its payments and issued credit notes, plus the refunds made on
    those credit notes. A credit note's balance is minus what is left to refund
    on it (``Invoice.refund_due()``), which needs its invoice's balance.
    """
    credited_invoice = OuterRef("credited_invoice")
    invoice_balance = F("amount_due") - F("paid_amount") - F("credited_amount") + F("refunded_amount")
    credited_invoice_balance = (
        F("credited_invoice__amount_due") - _paid(credited_invoice) - _credited(credited_invoice)
    ) + _refunded(credited_invoice)
    refund_due = Greatest(
        Value(ZERO), Least(F("amount_due") - F("paid_amount"), -credited_invoice_balance), output_field=AMOUNT
    )
    credit_note_balance = Case(
        When(status=InvoiceStatus.DRAFT, then=Value(ZERO)), default=-refund_due, output_field=AMOUNT
    )
    return invoices.annotate(
        paid_amount=_paid(OuterRef("pk")),
        credited_amount=_credited(OuterRef("pk")),
        refunded_amount=_refunded(OuterRef("pk")),
    ).annotate(
        balance_amount=Case(
            When(type_code=DocumentType.CREDIT_NOTE, then=credit_note_balance),
            default=invoice_balance,
            output_field=AMOUNT,
        ),
        signed_total=Case(
            When(type_code=DocumentType.CREDIT_NOTE, then=-F("total_with_vat")),
            default=F("total_with_vat"),
            output_field=AMOUNT,
        ),
    )


def with_stored_balance(invoices: models.QuerySet[Invoice]) -> models.QuerySet[Invoice]:
    """Annotate the names ``with_balance`` annotates, read from the stored balances (``reports.DocumentBalance``).

    A join instead of four subqueries per invoice, for the lists that filter
    and count thousands of invoices. Every issued document has its row, kept
    exact in the transaction that moves its balance. A draft has no row
    because nothing is paid on it, so its balance is its amount due (zero for
    a credit note), as ``with_balance`` computes it. Checks before recording money keep
    using ``with_balance``.
    """
    zero = Value(ZERO)
    draft_balance = Case(
        When(type_code=DocumentType.CREDIT_NOTE, then=zero), default=F("amount_due"), output_field=AMOUNT
    )
    return invoices.annotate(
        paid_amount=Coalesce(F("stored_balance__paid"), zero, output_field=AMOUNT),
        credited_amount=Coalesce(F("stored_balance__credited"), zero, output_field=AMOUNT),
        refunded_amount=Coalesce(F("stored_balance__refunded"), zero, output_field=AMOUNT),
        balance_amount=Coalesce(F("stored_balance__balance"), draft_balance, output_field=AMOUNT),
        signed_total=Case(
            When(type_code=DocumentType.CREDIT_NOTE, then=-F("total_with_vat")),
            default=F("total_with_vat"),
            output_field=AMOUNT,
        ),
    )


def in_state(invoices: models.QuerySet[Any], state: str, today: datetime.date) -> models.QuerySet[Any]:
    """Keep the invoices in one ``PaymentState``; ``invoices`` must come from ``with_balance`` or its stored twin.

    The querysets are typed ``Any`` because django-stubs cannot see the ``paid_amount`` annotation.
    """
    if state == PaymentState.DRAFT:
        return invoices.filter(status=InvoiceStatus.DRAFT)

    issued = invoices.exclude(status=InvoiceStatus.DRAFT)
    credit_notes = issued.filter(type_code=DocumentType.CREDIT_NOTE)
    fully_credited = Q(amount_due__gt=ZERO, credited_amount__gte=F("amount_due"))
    if state == PaymentState.CANCELLED:
        return issued.exclude(type_code=DocumentType.CREDIT_NOTE).filter(fully_credited)
    if state == PaymentState.SETTLED:
        return credit_notes.filter(balance_amount__gte=ZERO)

    others = issued.exclude(type_code=DocumentType.CREDIT_NOTE).exclude(fully_credited)
    if state == PaymentState.REFUND_DUE:
        return issued.filter(balance_amount__lt=ZERO).exclude(~Q(type_code=DocumentType.CREDIT_NOTE) & fully_credited)
    if state == PaymentState.PAID:
        return others.filter(balance_amount=ZERO)

    unpaid = others.filter(balance_amount__gt=ZERO)
    if state == PaymentState.OVERDUE:
        return unpaid.filter(due_date__lt=today)

    not_late = unpaid.filter(Q(due_date__gte=today) | Q(due_date__isnull=True))
    if state == PaymentState.PARTIALLY_PAID:
        return not_late.filter(paid_amount__gt=ZERO)
    if state == PaymentState.ISSUED:
        return not_late.filter(paid_amount=ZERO)
    return invoices


# The states of issued documents whose balance is not zero.
OPEN_STATES = frozenset(
    {PaymentState.ISSUED, PaymentState.PARTIALLY_PAID, PaymentState.OVERDUE, PaymentState.REFUND_DUE}
)


def in_stored_state(invoices: models.QuerySet[Any], state: str, today: datetime.date, organisation: Any) -> Any:
    """Keep the invoices in one state, as ``in_state`` does, for a queryset from ``with_stored_balance``.

    For a state with a balance due either way, the invoices are looked up among the open stored
    balances (``stored_in_state``), through their partial index, rather than by reading every
    invoice of the organisation: most invoices of a business are paid.
    """
    if state not in OPEN_STATES:
        return in_state(invoices, state, today)
    return invoices.filter(pk__in=stored_in_state(organisation, state, today).values("invoice_id"))


def stored_in_state(organisation: Any, state: str, today: datetime.date) -> Any:
    """Return the stored balances (``reports.DocumentBalance``) of the organisation's documents in an open state.

    The conditions are those of ``in_state``, written on the columns that a stored balance copies
    from its document. Only issued documents have a row, and an issued document never changes.
    Each condition implies a balance other than zero, so PostgreSQL reads the partial index of the
    open balances.
    """
    from ardoise.reports.models import DocumentBalance

    fully_credited = Q(amount_due__gt=ZERO, credited__gte=F("amount_due"))
    unpaid = Q(is_credit_note=False, balance__gt=ZERO) & ~fully_credited
    not_late = unpaid & (Q(due_date__gte=today) | Q(due_date__isnull=True))
    if state == PaymentState.REFUND_DUE:
        condition = Q(balance__lt=ZERO) & ~(Q(is_credit_note=False) & fully_credited)
    elif state == PaymentState.OVERDUE:
        condition = unpaid & Q(due_date__lt=today)
    elif state == PaymentState.PARTIALLY_PAID:
        condition = not_late & Q(paid__gt=ZERO)
    elif state == PaymentState.ISSUED:
        condition = not_late & Q(paid=ZERO)
    else:
        raise ValueError("%r is not an open state" % state)
    return DocumentBalance.objects.filter(organisation=organisation).filter(condition)


def without_templates[RowT: models.Model](invoices: models.QuerySet[RowT]) -> models.QuerySet[RowT]:
    """Leave out the invoices that are templates of recurring plans.

    ``invoices`` may also be rows whose primary key is an invoice's, such as stored balances.

    NOT EXISTS rather than ``recurring_template__isnull=True``: PostgreSQL 15
    estimated that the LEFT JOIN of the latter keeps 0.5 % of the invoices,
    and sorted all 100,000 invoices of the benchmark through nested loops.
    """
    plans = Invoice._meta.get_field("recurring_template").related_model
    return invoices.filter(~Exists(plans._default_manager.filter(template=OuterRef("pk"))))


def search(invoices: models.QuerySet[Invoice], text: str, organisation: Any) -> models.QuerySet[Invoice]:
    """Keep the invoices whose number or customer name contains ``text``; ``invoices`` are ``organisation``'s."""
    text = text.strip()
    if not text:
        return invoices
    return invoices.filter(Q(number__icontains=text) | Q(customer_id__in=_customers_named(text, organisation)))


def search_count(invoices: models.QuerySet[Invoice], text: str, organisation: Any) -> int:
    """Count ``search(invoices, text, organisation)`` as two disjoint parts, each read through an index.

    PostgreSQL cannot combine the customer index with the trigram index of the numbers (created by
    the migration ``invoicing.0014_list_indexes``) under an OR with a subquery. So a count of the
    whole search reads every invoice. Counted apart, the invoices of the matching customers come
    from the customer index, and the other invoices whose number matches from the trigram index.
    """
    text = text.strip()
    if not text:
        return invoices.count()
    customers = _customers_named(text, organisation)
    of_customers = invoices.filter(customer_id__in=customers).count()
    by_number_only = invoices.filter(number__icontains=text).exclude(customer_id__in=customers).count()
    return of_customers + by_number_only


def _customers_named(text: str, organisation: Any) -> models.QuerySet[Any]:
    # The customers first: a few thousand names, where the invoices are a hundred thousand rows to join.
    from ardoise.customers.models import Customer

    return Customer.objects.filter(organisation=organisation, name__icontains=text).values("pk")


def month_start(today: datetime.date) -> datetime.date:
    return today.replace(day=1)
