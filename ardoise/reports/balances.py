"""What each customer owes on a given date, computed in the database.

An invoice's balance on a date is what ``Invoice.balance()`` returns today,
with only what existed on that date: its amount due, minus its payments and
its issued credit notes, plus the refunds paid on those credit notes. The
SQL adds these movements up per invoice in one GROUP BY over a UNION ALL,
instead of one correlated subquery per invoice.

Most invoices of a business are paid. An invoice whose balance came back to
zero is remembered in ``SettledInvoice`` with the date of its last movement.
Every balance computed on a later date skips it, so the cost follows the
number of open invoices rather than the whole history.

A customer's net balance is their account (411) in the books: invoices minus
credit notes, minus money received, plus refunds paid. Their credit, the
money received that settles no invoice yet, is the difference between what
their invoices still show (open balances, minus what is owed back on credit
notes) and that net balance.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, QuerySet, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from ardoise.accounts.models import Organisation
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.reports import sql
from ardoise.reports.models import CustomerAccount, DocumentBalance, SettledInvoice

ZERO = Decimal("0.00")
# Minimum seconds between two searches of one process for newly settled invoices of one organisation.
REMEMBER_EVERY_SECONDS = 300
ANALYZE_AFTER_ROWS = 1000
CREDIT_NOTE = DocumentType.CREDIT_NOTE
AMOUNT = DecimalField(max_digits=14, decimal_places=2)


def candidates(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> QuerySet[Invoice]:
    """Return the issued invoices (not credit notes) that may have a balance on ``as_of``.

    Those known to be settled by that date are left out.
    """
    invoices = (
        Invoice.objects.filter(
            organisation=organisation, status=InvoiceStatus.ISSUED, currency=currency, issue_date__lte=as_of
        )
        .exclude(type_code=CREDIT_NOTE)
        .exclude(Exists(SettledInvoice.objects.filter(invoice=OuterRef("pk"), settled_on__lte=as_of)))
        .order_by()
    )
    if customer_id is not None:
        invoices = invoices.filter(customer_id=customer_id)
    return invoices


def _per_invoice(invoices: QuerySet[Invoice], as_of: datetime.date | None) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (invoice_id, customer_id, due_date, balance, last_moved) for ``invoices``.

    The movements of an invoice's balance are its amount due, its payments,
    its issued credit notes and the refunds paid on them. ``last_moved`` is
    the date of the latest. ``as_of`` None takes every movement, whatever its
    date. The invoices are selected once, in a WITH clause, and the payments
    and credit notes are joined to them rather than read in full.
    """
    selected, params = sql.compiled(invoices.values("id", "customer_id", "due_date", "amount_due", "issue_date"))
    payment, invoice = sql.table(Payment), sql.table(Invoice)
    paid_by = "AND p.date <= %s" if as_of is not None else ""
    issued_by = "AND cn.issue_date <= %s" if as_of is not None else ""
    dates = (as_of,) if as_of is not None else ()
    # ROUND: SQLite adds floats, and 0.1 + 0.2 - 0.3 must read as zero, not as 5.5e-17.
    # The fragments are table names and ORM-compiled SQL; every value is a parameter.
    query = (
        f"WITH c AS ({selected}) "  # noqa: S608
        "SELECT c.id AS invoice_id, c.customer_id AS customer_id, c.due_date AS due_date, "
        "ROUND(SUM(m.movement), 2) AS balance, MAX(m.moved_on) AS last_moved "
        "FROM c INNER JOIN ("
        "SELECT c.id AS invoice_ref, c.amount_due AS movement, c.issue_date AS moved_on FROM c "
        "UNION ALL "
        f"SELECT p.invoice_id, -p.amount, p.date FROM {payment} p INNER JOIN c ON c.id = p.invoice_id "
        f"WHERE 1 = 1 {paid_by} "
        "UNION ALL "
        f"SELECT cn.credited_invoice_id, -cn.amount_due, cn.issue_date FROM {invoice} cn "
        f"INNER JOIN c ON c.id = cn.credited_invoice_id WHERE cn.status = %s AND cn.type_code = %s {issued_by} "
        "UNION ALL "
        f"SELECT cn.credited_invoice_id, p.amount, p.date FROM {payment} p "
        f"INNER JOIN {invoice} cn ON cn.id = p.invoice_id INNER JOIN c ON c.id = cn.credited_invoice_id "
        f"WHERE cn.status = %s AND cn.type_code = %s {paid_by}"
        ") m ON m.invoice_ref = c.id "
        "GROUP BY c.id, c.customer_id, c.due_date"
    )
    credit_notes = (InvoiceStatus.ISSUED, CREDIT_NOTE)
    return query, (*params, *dates, *credit_notes, *dates, *credit_notes, *dates)


def invoice_balances(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (invoice_id, customer_id, due_date, balance) for every invoice whose balance is not zero.

    Credit notes get no row of their own: what is left to refund on one is the
    negative balance of the invoice it credits. An invoice that has not moved
    since ``as_of`` had on that date the balance stored in ``DocumentBalance``;
    only the others, moved later (none when ``as_of`` is today), are added up
    from their movements.
    """
    remember_settled(organisation, as_of, currency)
    stored = sql.table(DocumentBalance)
    customer_filter = "AND d.customer_id = %s" if customer_id is not None else ""
    unmoved = (
        "SELECT d.invoice_id AS invoice_id, d.customer_id AS customer_id, d.due_date AS due_date, "  # noqa: S608
        f"d.balance AS balance FROM {stored} d WHERE d.organisation_id = %s AND d.currency = %s "
        f"AND d.is_credit_note = %s AND d.balance <> 0 AND d.issue_date <= %s AND d.last_moved <= %s {customer_filter}"
    )
    unmoved_params: tuple[Any, ...] = (organisation.pk, currency, False, as_of, as_of)
    if customer_id is not None:
        unmoved_params += (customer_id,)
    moved_since = DocumentBalance.objects.filter(organisation=organisation, last_moved__gt=as_of).values("invoice_id")
    moved = candidates(organisation, as_of, currency, customer_id).filter(pk__in=moved_since)
    per_invoice, params = _per_invoice(moved, as_of)
    query = (
        f"{unmoved} UNION ALL "  # noqa: S608
        "SELECT b.invoice_id, b.customer_id, b.due_date, b.balance "
        f"FROM ({per_invoice}) b WHERE b.balance <> 0"
    )
    return query, unmoved_params + params


def remember_settled(organisation: Any, as_of: datetime.date, currency: str, *, force: bool = False) -> None:
    """Record the invoices whose balance is back at zero, before computing balances on today or later.

    Only a computation on today or a later date includes every movement, so
    only then can an invoice be known as settled. The stored balances give
    which invoices are at zero now, and since when (their last movement).
    The organisation row is locked, as when a payment or a credit note is
    recorded, so that a payment recorded meanwhile cannot be missed: it
    deletes the row this writes.
    """
    if as_of < timezone.localdate():
        return
    # Rows are only ever added here, so skipping a run costs time, never correctness.
    key = "reports-settled-%s-%s" % (organisation.pk, currency)
    if not cache.add(key, True, timeout=REMEMBER_EVERY_SECONDS) and not force:
        return
    settled, stored = sql.table(SettledInvoice), sql.table(DocumentBalance)
    # ON CONFLICT: another request may record the same invoice at the same time.
    query = (
        f"INSERT INTO {settled} (invoice_id, organisation_id, settled_on) "  # noqa: S608
        f"SELECT d.invoice_id, d.organisation_id, d.last_moved FROM {stored} d "
        "WHERE d.organisation_id = %s AND d.currency = %s AND d.is_credit_note = %s AND d.balance = 0 "
        f"AND NOT EXISTS (SELECT 1 FROM {settled} s WHERE s.invoice_id = d.invoice_id) "
        "ON CONFLICT (invoice_id) DO NOTHING"
    )
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).exists()
        with connection.cursor() as cursor:
            cursor.execute(query, [organisation.pk, currency, False])
            added = cursor.rowcount
    if added > ANALYZE_AFTER_ROWS and connection.vendor == "postgresql":
        # After a first run on a large history, PostgreSQL's statistics still describe an
        # almost empty table, and its plans for the next reports would read every payment.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE %s" % sql.table(SettledInvoice))


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
    """Return, per customer, the open balances by age bucket, what is owed back, the counts and the credit.

    An invoice not yet due (or due on ``as_of``) is « non échue »; one due
    1 to 30 days before ``as_of`` goes to 1–30, and so on up to « plus de 90 ».
    """
    balances, params = invoice_balances(organisation, as_of, currency, customer_id)
    ages = AgeBoundaries(as_of)
    query = (
        "SELECT b.customer_id, "  # noqa: S608
        "SUM(CASE WHEN b.balance > 0 AND (b.due_date IS NULL OR b.due_date >= %s) THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s THEN b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance < 0 THEN -b.balance ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN b.balance > 0 AND b.due_date < %s THEN 1 ELSE 0 END), "
        "MIN(CASE WHEN b.balance > 0 THEN b.due_date END) "
        f"FROM ({balances}) b GROUP BY b.customer_id"
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
    result: dict[int, dict[str, Any]] = {}
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
            "oldest_due_date": as_date(oldest),
        }

    for customer, net in net_per_customer(organisation, as_of, currency, customer_id).items():
        figures = result.setdefault(customer, {})
        open_amount = sum(
            (figures.get(name, ZERO) for name in ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90")),
            ZERO,
        )
        figures["credit"] = open_amount - figures.get("owed_to_customer", ZERO) - net
    return {customer: figures for customer, figures in result.items() if any(figures.values())}


def net_per_customer(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> dict[int, Decimal]:
    """Return each customer's account balance on ``as_of``: documents minus money received plus refunds.

    The stored account balance (``CustomerAccount``) includes every movement;
    those dated after ``as_of`` are taken back out, which reads nothing when
    ``as_of`` is today.
    """
    accounts = CustomerAccount.objects.filter(organisation=organisation, currency=currency)
    if customer_id is not None:
        accounts = accounts.filter(customer_id=customer_id)
    net = {customer: sql.amount(balance) for customer, balance in accounts.values_list("customer_id", "balance")}
    for customer, movement in _movements_after(organisation, as_of, currency, customer_id, "customer_id"):
        net[customer] = net.get(customer, ZERO) - movement
    return net


def net_total(organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None) -> Decimal:
    """Return the sum of the customers' account balances on ``as_of`` (the « Solde net » total of the aging)."""
    accounts = CustomerAccount.objects.filter(organisation=organisation, currency=currency)
    if customer_id is not None:
        accounts = accounts.filter(customer_id=customer_id)
    total = sql.amount(accounts.aggregate(total=Sum("balance"))["total"])
    return total - sum(
        (movement for _key, movement in _movements_after(organisation, as_of, currency, customer_id)), ZERO
    )


def _movements_after(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None, group: str | None = None
) -> list[tuple[Any, Decimal]]:
    """Return the change of the accounts after ``as_of``, per ``group`` (a column) or in one row keyed None."""
    documents = Invoice.objects.filter(
        organisation=organisation, status=InvoiceStatus.ISSUED, currency=currency, issue_date__gt=as_of
    )
    receipts = Receipt.objects.filter(organisation=organisation, currency=currency, date__gt=as_of)
    if customer_id is not None:
        documents = documents.filter(customer_id=customer_id)
        receipts = receipts.filter(customer_id=customer_id)
    signed = Case(When(type_code=CREDIT_NOTE, then=-F("amount_due")), default=F("amount_due"), output_field=AMOUNT)
    received = Q(kind=ReceiptKind.RECEIVED)
    money = {"received": Sum("amount", filter=received), "refunded": Sum("amount", filter=~received)}
    changes: dict[Any, Decimal] = {}
    if group is None:
        total = documents.aggregate(total=Sum(signed))["total"]
        flows = receipts.aggregate(**money)
        changes[None] = sql.amount(total) - sql.amount(flows["received"]) + sql.amount(flows["refunded"])
        return list(changes.items())
    for row in documents.order_by().values(group).annotate(total=Sum(signed)):
        changes[row[group]] = changes.get(row[group], ZERO) + sql.amount(row["total"])
    for flow in receipts.order_by().values(group).annotate(**money):
        key = flow[group]
        changes[key] = changes.get(key, ZERO) - sql.amount(flow["received"]) + sql.amount(flow["refunded"])
    return list(changes.items())


def open_invoice_rows(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> list[tuple[int, Decimal]]:
    """Return (invoice id, balance) of the invoices with a balance other than zero on ``as_of``, oldest due first."""
    balances, params = invoice_balances(organisation, as_of, currency, customer_id)
    query = "SELECT b.invoice_id, b.balance FROM (%s) b ORDER BY b.due_date, b.invoice_id" % balances  # noqa: S608
    return [(invoice_id, sql.amount(balance)) for invoice_id, balance in sql.fetch(query, params)]


def ledger_movements_by_month(
    organisation: Any,
    end: datetime.date,
    currency: str,
    customer_id: int | None = None,
    start: datetime.date | None = None,
) -> dict[datetime.date, Decimal]:
    """Return, per month from ``start`` (or the first movement) up to ``end``, the change of what customers owe.

    Invoices add their amount due, credit notes subtract theirs, money
    received subtracts and refunds add, reversals included: the movements of
    their account 411. Added to ``net_total`` the day before ``start``, they
    give the net balance of the aging report at the end of each month.
    """
    documents = Invoice.objects.filter(
        organisation=organisation, status=InvoiceStatus.ISSUED, currency=currency, issue_date__lte=end
    )
    receipts = Receipt.objects.filter(organisation=organisation, currency=currency, date__lte=end)
    if start is not None:
        documents = documents.filter(issue_date__gte=start)
        receipts = receipts.filter(date__gte=start)
    if customer_id is not None:
        documents = documents.filter(customer_id=customer_id)
        receipts = receipts.filter(customer_id=customer_id)

    months: dict[datetime.date, Decimal] = {}
    signed = Case(When(type_code=CREDIT_NOTE, then=-F("amount_due")), default=F("amount_due"), output_field=AMOUNT)
    per_month = (
        documents.order_by().annotate(month=TruncMonth("issue_date")).values("month").annotate(total=Sum(signed))
    )
    for row in per_month:
        month = as_date(row["month"])
        assert month is not None
        months[month] = months.get(month, ZERO) + sql.amount(row["total"])

    is_received = Q(kind=ReceiptKind.RECEIVED)
    money = (
        receipts.order_by()
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(received=Sum("amount", filter=is_received), refunded=Sum("amount", filter=~is_received))
    )
    for flow in money:
        month = as_date(flow["month"])
        assert month is not None
        months[month] = months.get(month, ZERO) - sql.amount(flow["received"]) + sql.amount(flow["refunded"])
    return months


def as_date(value: Any) -> datetime.date | None:
    """Read a date from a raw SQL row: SQLite returns text, PostgreSQL a date."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])
