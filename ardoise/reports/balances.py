"""What each customer owes on a given date, computed in the database.

An invoice's balance on a date is what ``Invoice.balance()`` returns today,
with only what existed on that date: its amount due, minus its payments and
its issued credit notes, plus the refunds paid on those credit notes. The
SQL adds these movements up per invoice in one GROUP BY over a UNION ALL,
instead of one correlated subquery per invoice, so that the cost grows with
the number of rows read, not with the number of invoices times the number of
subqueries.

A customer's credit on a date is what its receipts did not settle: the
unallocated part of the money received, minus the unallocated part of the
refunds paid back (``payments.models.Receipt``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Sum

from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.reports import sql

ZERO = Decimal("0.00")
CREDIT_NOTE = DocumentType.CREDIT_NOTE


def _movements(organisation: Any, as_of: datetime.date, currency: str) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (invoice_ref, movement): every movement of an invoice's balance up to ``as_of``."""
    issued = Invoice.objects.filter(
        organisation=organisation, status=InvoiceStatus.ISSUED, currency=currency, issue_date__lte=as_of
    ).order_by()
    payments = Payment.objects.filter(
        organisation=organisation, date__lte=as_of, invoice__status=InvoiceStatus.ISSUED, invoice__currency=currency
    ).order_by()

    amounts_due = issued.exclude(type_code=CREDIT_NOTE).values(invoice_ref=F("pk"), movement=F("amount_due"))
    paid = payments.exclude(invoice__type_code=CREDIT_NOTE).values(invoice_ref=F("invoice_id"), movement=-F("amount"))
    credited = issued.filter(type_code=CREDIT_NOTE).values(
        invoice_ref=F("credited_invoice_id"), movement=-F("amount_due")
    )
    refunded = payments.filter(invoice__type_code=CREDIT_NOTE).values(
        invoice_ref=F("invoice__credited_invoice_id"), movement=F("amount")
    )
    return sql.compiled(amounts_due.union(paid, credited, refunded, all=True).order_by())


def invoice_balances(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (invoice_id, customer_id, due_date, balance) for every invoice whose balance is not zero.

    Credit notes get no row of their own: what is left to refund on one is the
    negative balance of the invoice it credits.
    """
    movements, params = _movements(organisation, as_of, currency)
    customer_filter = ""
    if customer_id is not None:
        customer_filter = "WHERE i.customer_id = %s"
        params += (customer_id,)
    # ROUND: SQLite adds floats, and 0.1 + 0.2 - 0.3 must read as zero, not as 5.5e-17.
    # The fragments are table names and ORM-compiled SQL; every value is a parameter.
    query = (  # noqa: S608
        "SELECT i.id AS invoice_id, i.customer_id AS customer_id, i.due_date AS due_date, "
        "ROUND(SUM(m.movement), 2) AS balance "
        "FROM (%s) m INNER JOIN %s i ON i.id = m.invoice_ref %s "
        "GROUP BY i.id, i.customer_id, i.due_date "
        "HAVING ROUND(SUM(m.movement), 2) <> 0"
    ) % (movements, sql.table(Invoice), customer_filter)
    return query, params


@dataclass(frozen=True)
class AgeBoundaries:
    """The oldest due date of each age bucket on ``as_of``: days past due = as_of − due date."""

    as_of: datetime.date

    @property
    def days_30(self) -> datetime.date:
        return self.as_of - datetime.timedelta(days=30)

    @property
    def days_60(self) -> datetime.date:
        return self.as_of - datetime.timedelta(days=60)

    @property
    def days_90(self) -> datetime.date:
        return self.as_of - datetime.timedelta(days=90)


def balances_per_customer(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> dict[int, dict[str, Any]]:
    """Return, per customer, the open balances by age bucket, what is owed back, and the open invoices.

    An invoice not yet due (or due on ``as_of``) is « non échue »; one due
    1 to 30 days before ``as_of`` goes to 1–30, and so on up to « plus de 90 ».
    """
    balances, params = invoice_balances(organisation, as_of, currency, customer_id)
    ages = AgeBoundaries(as_of)
    query = (
        "SELECT b.customer_id, "
        "SUM(CASE WHEN b.balance > 0 AND (b.due_date IS NULL OR b.due_date >= %s) THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance < 0 THEN -b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s THEN 1 ELSE 0 END), "
        "MIN(CASE WHEN b.balance > 0 THEN b.due_date END) "
        "FROM (" + balances + ") b GROUP BY b.customer_id"
    )
    bucket_params = (
        as_of,
        as_of,
        ages.days_30,
        ages.days_30,
        ages.days_60,
        ages.days_60,
        ages.days_90,
        ages.days_90,
        as_of,
    )
    result = {}
    for row in sql.fetch(query, bucket_params + params):
        customer, current, days_30, days_60, days_90, older, owed, count, overdue_count, oldest = row
        result[customer] = {
            "not_due": sql.amount(current),
            "days_1_30": sql.amount(days_30),
            "days_31_60": sql.amount(days_60),
            "days_61_90": sql.amount(days_90),
            "over_90": sql.amount(older),
            "owed_to_customer": sql.amount(owed),
            "open_count": int(count or 0),
            "overdue_count": int(overdue_count or 0),
            "oldest_due_date": _as_date(oldest),
        }
    return result


def credit_per_customer(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> dict[int, Decimal]:
    """Return each customer's credit on ``as_of``: received but unallocated, minus refunded but unallocated."""
    receipts = Receipt.objects.filter(organisation=organisation, currency=currency, date__lte=as_of)
    allocations = Payment.objects.filter(organisation=organisation, receipt__currency=currency, date__lte=as_of)
    if customer_id is not None:
        receipts = receipts.filter(customer_id=customer_id)
        allocations = allocations.filter(receipt__customer_id=customer_id)

    credit: dict[int, Decimal] = {}
    received = Q(kind=ReceiptKind.RECEIVED)
    totals = (
        receipts.order_by()
        .values("customer_id")
        .annotate(received=Sum("amount", filter=received), refunded=Sum("amount", filter=~received))
    )
    for row in totals:
        credit[row["customer_id"]] = sql.amount(row["received"]) - sql.amount(row["refunded"])

    allocated_received = Q(receipt__kind=ReceiptKind.RECEIVED)
    allocated = (
        allocations.order_by()
        .values("receipt__customer_id")
        .annotate(received=Sum("amount", filter=allocated_received), refunded=Sum("amount", filter=~allocated_received))
    )
    for allocation in allocated:
        customer = allocation["receipt__customer_id"]
        used = sql.amount(allocation["received"]) - sql.amount(allocation["refunded"])
        credit[customer] = credit.get(customer, ZERO) - used
    return {customer: amount for customer, amount in credit.items() if amount}


def open_invoice_rows(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> list[tuple[int, Decimal]]:
    """Return (invoice id, balance) of the invoices with a balance other than zero on ``as_of``, oldest due first."""
    balances, params = invoice_balances(organisation, as_of, currency, customer_id)
    query = "SELECT b.invoice_id, b.balance FROM (%s) b ORDER BY b.due_date, b.invoice_id" % balances  # noqa: S608
    return [(invoice_id, sql.amount(balance)) for invoice_id, balance in sql.fetch(query, params)]


def ledger_movements_by_month(
    organisation: Any, end: datetime.date, currency: str, customer_id: int | None = None
) -> dict[datetime.date, Decimal]:
    """Return, per month up to ``end``, the change of what customers owe (their account 411).

    Invoices add their amount due, credit notes subtract theirs, money
    received subtracts and refunds add, reversals included. Summed up to a
    date, these give the net balance of the aging report on that date.
    """
    from django.db.models.functions import TruncMonth

    documents = Invoice.objects.filter(
        organisation=organisation, status=InvoiceStatus.ISSUED, currency=currency, issue_date__lte=end
    )
    receipts = Receipt.objects.filter(organisation=organisation, currency=currency, date__lte=end)
    if customer_id is not None:
        documents = documents.filter(customer_id=customer_id)
        receipts = receipts.filter(customer_id=customer_id)

    months: dict[datetime.date, Decimal] = {}
    is_credit_note = Q(type_code=CREDIT_NOTE)
    per_month = (
        documents.order_by()
        .annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(invoiced=Sum("amount_due", filter=~is_credit_note), credited=Sum("amount_due", filter=is_credit_note))
    )
    for row in per_month:
        month = _as_date(row["month"])
        assert month is not None
        months[month] = months.get(month, ZERO) + sql.amount(row["invoiced"]) - sql.amount(row["credited"])

    is_received = Q(kind=ReceiptKind.RECEIVED)
    money = (
        receipts.order_by()
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(received=Sum("amount", filter=is_received), refunded=Sum("amount", filter=~is_received))
    )
    for flow in money:
        month = _as_date(flow["month"])
        assert month is not None
        months[month] = months.get(month, ZERO) - sql.amount(flow["received"]) + sql.amount(flow["refunded"])
    return months


def _as_date(value: Any) -> datetime.date | None:
    """Read a date from a raw SQL row: SQLite returns text, PostgreSQL a date."""
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    return datetime.date.fromisoformat(str(value)[:10])
