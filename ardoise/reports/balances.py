"""What each customer owes on a given date, computed in the database.

An invoice's balance on a date is what ``Invoice.balance()`` returns today,
with only what existed on that date: its amount due, minus its payments and
its issued credit notes, plus the refunds paid on those credit notes. The
stored balances (``DocumentBalance``) give it for every invoice that has not
moved since that date. For the others, the SQL takes the movements dated
after that date back out of the stored balance, so the cost follows the
number of open invoices and of later movements, not the whole history.

A customer's net balance is their account (411) in the books: invoices minus
credit notes, minus money received, plus refunds paid. Their credit, the
money received that settles no invoice yet, is the difference between what
their invoices still show (open balances, minus what is owed back on credit
notes) and that net balance.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Case, DecimalField, F, Max, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from ardoise.customers.models import Customer
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.reports import sql
from ardoise.reports.models import CustomerAccount, CustomerMonth, DocumentBalance, OpenDueDate
from ardoise.reports.periods import add_months

ZERO = Decimal("0.00")
CREDIT_NOTE = DocumentType.CREDIT_NOTE
AMOUNT = DecimalField(max_digits=14, decimal_places=2)

# One customer's id, several customers' ids, or None for every customer.
Customers = int | Sequence[int] | None


def _customer_filter(alias: str, customers: Customers) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL condition (with its leading AND) and the parameters that keep ``customers``."""
    if customers is None:
        return "", ()
    ids = (customers,) if isinstance(customers, int) else tuple(customers)
    if not ids:
        # No customer asked for: the condition keeps no row.
        return "AND 1 = 0", ()
    return "AND %s.customer_id IN (%s)" % (alias, ", ".join(["%s"] * len(ids))), ids


def stored_is_current(organisation: Any, as_of: datetime.date) -> bool:
    """Tell whether nothing is dated after ``as_of``: the stored balances are then the balances on ``as_of``.

    A document issued, paid, credited or refunded later moves its stored
    balance's ``last_moved`` past ``as_of``, and money received later is a
    receipt dated after it. The latest dates come from the ends of two
    indexes; an EXISTS on a date range made PostgreSQL read the table in
    invoice order instead.
    """
    latest = DocumentBalance.objects.filter(organisation=organisation).aggregate(latest=Max("last_moved"))["latest"]
    if (as_date(latest) or as_of) > as_of:
        return False
    received = Receipt.objects.filter(organisation=organisation).aggregate(latest=Max("date"))["latest"]
    return (as_date(received) or as_of) <= as_of


def _balance_back(as_of: datetime.date) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of the stored document ``d``'s balance on ``as_of``: its later movements taken back out.

    The payments dated later are added back, the credit notes issued later
    too, and the refunds paid later on those credit notes are taken off
    again. Correlated subqueries reach them through the indexes on each
    payment's and credit note's invoice. Only the documents that moved after
    ``as_of`` run them: a few thousand at most. The payments dated after
    ``as_of`` are tens of thousands, mostly on invoices issued later.

    Each lookup runs only where the stored figures say it can find something:
    the payments when the last one is dated after ``as_of``, the credit notes
    and refunds when the invoice has some. A credit note is never negative,
    so an invoice whose credit notes add up to zero has none that count, nor
    any refund on them. Most moved invoices were only paid.
    """
    payment, invoice = sql.table(Payment), sql.table(Invoice)
    # The fragments are table names, and every value is a parameter.
    query = (
        "d.balance "  # noqa: S608
        "+ CASE WHEN d.last_paid_on > %s THEN COALESCE(("
        f"SELECT SUM(p.amount) FROM {payment} p WHERE p.invoice_id = d.invoice_id AND p.date > %s), 0) ELSE 0 END "
        "+ CASE WHEN d.credited <> 0 OR d.refunded <> 0 THEN COALESCE(("
        f"SELECT SUM(cn.amount_due) FROM {invoice} cn WHERE cn.credited_invoice_id = d.invoice_id "
        "AND cn.issue_date > %s AND cn.status = %s AND cn.type_code = %s), 0) - COALESCE(("
        f"SELECT SUM(r.amount) FROM {payment} r INNER JOIN {invoice} rn ON rn.id = r.invoice_id "
        "WHERE rn.credited_invoice_id = d.invoice_id AND r.date > %s AND rn.status = %s AND rn.type_code = %s), 0) "
        "ELSE 0 END"
    )
    credit_notes = (InvoiceStatus.ISSUED, CREDIT_NOTE)
    return query, (as_of, as_of, as_of, *credit_notes, as_of, *credit_notes)


def invoice_balances(
    organisation: Any, as_of: datetime.date, currency: str, customers: Customers = None
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (invoice_id, customer_id, due_date, balance) for every invoice whose balance is not zero.

    Credit notes get no row of their own: what is left to refund on one is the
    negative balance of the invoice it credits. An invoice that has not moved
    since ``as_of`` had on that date the balance stored in ``DocumentBalance``.
    For an invoice that moved later, the later movements are taken back out
    of the stored balance (``_balance_back``).
    """
    stored = sql.table(DocumentBalance)
    customer_filter, customer_params = _customer_filter("d", customers)
    scope: tuple[Any, ...] = (organisation.pk, currency, False, as_of, *customer_params)
    # The partial index on the open documents serves the first part.
    unmoved = (
        "SELECT d.invoice_id AS invoice_id, d.customer_id AS customer_id, d.due_date AS due_date, "  # noqa: S608
        f"d.balance AS balance FROM {stored} d WHERE d.organisation_id = %s AND d.currency = %s "
        f"AND d.is_credit_note = %s AND d.issue_date <= %s {customer_filter} AND d.balance <> 0 AND d.last_moved <= %s"
    )
    back, back_params = _balance_back(as_of)
    # ROUND: SQLite adds floats, and 0.1 + 0.2 - 0.3 must read as zero, not as 5.5e-17.
    moved = (
        "SELECT m.invoice_id, m.customer_id, m.due_date, m.balance FROM ("  # noqa: S608
        f"SELECT d.invoice_id AS invoice_id, d.customer_id AS customer_id, d.due_date AS due_date, "
        f"ROUND({back}, 2) AS balance FROM {stored} d "
        f"WHERE d.organisation_id = %s AND d.currency = %s AND d.is_credit_note = %s AND d.issue_date <= %s "
        # Apart: the outer filter would otherwise compute each balance twice.
        f"{customer_filter} AND d.last_moved > %s {sql.kept_apart()}"
        ") m WHERE m.balance <> 0"
    )
    query = f"{unmoved} UNION ALL {moved}"
    return query, (*scope, as_of, *back_params, *scope, as_of)


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

    def bucket_params(self) -> tuple[datetime.date, ...]:
        """Return the dates of the five bucket conditions and the overdue count, in the order the SQL reads them."""
        return (
            self.as_of,
            self.as_of,
            self.days_30,
            self.days_30,
            self.days_60,
            self.days_60,
            self.days_90,
            self.days_90,
            self.as_of,
        )


# The columns of ``customer_figures``, after customer_id.
FIGURES = (
    "not_due",
    "days_1_30",
    "days_31_60",
    "days_61_90",
    "over_90",
    "owed_to_customer",
    "open_count",
    "overdue_count",
    "oldest_due_date",
    "net",
    "credit",
)


def customer_figures(
    organisation: Any, as_of: datetime.date, currency: str, customers: Customers = None
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of one row per customer who owes or is owed something on ``as_of``: customer_id, then ``FIGURES``.

    An invoice not yet due (or due on ``as_of``) is « non échue »; one due
    1 to 30 days before ``as_of`` goes to 1–30, and so on up to « plus de 90 ».
    ``net`` is the customer's account balance and ``credit`` the money
    received that settles no invoice: open balances, minus what is owed back,
    minus ``net``. A customer with no open invoice and a settled account gets
    no row. One GROUP BY over the invoice balances and the account balances.
    """
    balances, balance_params = invoice_balances(organisation, as_of, currency, customers)
    nets, net_params = _net_per_customer(organisation, as_of, currency, customers)
    rows = _figure_rows(f"({balances})", f"({nets})")
    bucket_params = AgeBoundaries(as_of).bucket_params()
    return _grouped_figures(rows), (*bucket_params, *balance_params, *net_params)


def _grouped_figures(rows: str) -> str:
    """Return the SQL adding up the ``_figure_rows`` per customer, keeping the customers with something to show."""
    return (
        f"SELECT f.customer_id AS customer_id, {_FIGURE_COLUMNS} FROM ("  # noqa: S608
        f"SELECT x.customer_id AS customer_id, {_FIGURE_SUMS}, SUM(x.invoice_rows) AS invoice_rows "
        f"FROM ({rows}) x GROUP BY x.customer_id"
        ") f WHERE f.invoice_rows > 0 OR f.net <> 0"
    )


def stored_totals(organisation: Any, as_of: datetime.date, currency: str) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of the total row of ``customer_figures`` on a date after every movement.

    Every figure adds up across customers (the oldest due date is the
    earliest), credit included, since each customer's credit is a difference
    of sums. On such a date the open balances are the stored ones, already
    added up per due date in ``OpenDueDate``: a few hundred rows, sorted into
    age buckets, instead of every open invoice.
    """
    nets, net_params = _net_per_customer(organisation, as_of, currency)
    per_due_date = (
        "(SELECT o.due_date AS due_date, o.open_amount AS open, o.owed_amount AS owed, "  # noqa: S608
        f"o.open_count AS open_count FROM {sql.table(OpenDueDate)} o "
        "WHERE o.organisation_id = %s AND o.currency = %s)"
    )
    bucket_params = AgeBoundaries(as_of).bucket_params()
    query = _bucketed_totals(per_due_date, f"({nets})")
    return query, (*bucket_params, *net_params, organisation.pk, currency)


def _totals(balances: str, nets: str) -> str:
    """Return the SQL of the total row over the relations ``balances`` (as from ``invoice_balances``) and ``nets``.

    Its parameters are the bucket dates; the relations' own come after, nets first.
    """
    per_due_date = (
        "(SELECT b.due_date AS due_date, SUM(CASE WHEN b.balance > 0 THEN b.balance ELSE 0 END) AS open, "  # noqa: S608
        "SUM(CASE WHEN b.balance < 0 THEN -b.balance ELSE 0 END) AS owed, "
        f"SUM(CASE WHEN b.balance > 0 THEN 1 ELSE 0 END) AS open_count FROM {balances} b GROUP BY b.due_date)"
    )
    return _bucketed_totals(per_due_date, nets)


def _bucketed_totals(per_due_date: str, nets: str) -> str:
    """Return the SQL sorting the open amounts of ``per_due_date`` (due_date, open, owed, open_count) into buckets.

    The parameters are the bucket dates, then those of ``nets``, then those of ``per_due_date``.
    """
    return (
        "SELECT x.not_due AS not_due, x.days_1_30 AS days_1_30, x.days_31_60 AS days_31_60, "  # noqa: S608
        "x.days_61_90 AS days_61_90, x.over_90 AS over_90, x.owed_to_customer AS owed_to_customer, "
        "x.open_count AS open_count, x.overdue_count AS overdue_count, x.oldest_due_date AS oldest_due_date, "
        "x.net AS net, "
        "ROUND(x.not_due + x.days_1_30 + x.days_31_60 + x.days_61_90 + x.over_90 - x.owed_to_customer - x.net, 2) "
        "AS credit FROM (SELECT "
        "ROUND(COALESCE(SUM(CASE WHEN g.due_date IS NULL OR g.due_date >= %s THEN g.open END), 0), 2) AS not_due, "
        "ROUND(COALESCE(SUM(CASE WHEN g.due_date < %s AND g.due_date >= %s THEN g.open END), 0), 2) AS days_1_30, "
        "ROUND(COALESCE(SUM(CASE WHEN g.due_date < %s AND g.due_date >= %s THEN g.open END), 0), 2) AS days_31_60, "
        "ROUND(COALESCE(SUM(CASE WHEN g.due_date < %s AND g.due_date >= %s THEN g.open END), 0), 2) AS days_61_90, "
        "ROUND(COALESCE(SUM(CASE WHEN g.due_date < %s THEN g.open END), 0), 2) AS over_90, "
        "ROUND(COALESCE(SUM(g.owed), 0), 2) AS owed_to_customer, COALESCE(SUM(g.open_count), 0) AS open_count, "
        "COALESCE(SUM(CASE WHEN g.due_date < %s THEN g.open_count END), 0) AS overdue_count, "
        "MIN(CASE WHEN g.open_count > 0 THEN g.due_date END) AS oldest_due_date, "
        f"(SELECT ROUND(COALESCE(SUM(n.net), 0), 2) FROM {nets} n) AS net "
        f"FROM {per_due_date} g) x"
    )


def figures_page(
    organisation: Any, as_of: datetime.date, currency: str, offset: int, limit: int
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of one page of ``customer_figures`` by customer name, with the count and the total row.

    Columns: customer_id, name, ``FIGURES``, the number of rows, then the
    total of each of ``FIGURES``. Every invoice balance and account balance
    on ``as_of`` is computed once, in a common table expression. The page's
    customers are picked by name among those with something to show, and
    only theirs are added up per customer.
    """
    balances, balance_params = invoice_balances(organisation, as_of, currency)
    nets, net_params = _net_per_customer(organisation, as_of, currency)
    bucket_params = AgeBoundaries(as_of).bucket_params()
    customer = sql.table(Customer)
    rows = _figure_rows(
        "(SELECT b.customer_id, b.due_date, b.balance FROM b WHERE b.customer_id IN (SELECT p.id FROM p))",
        "(SELECT n.customer_id, n.net FROM n WHERE n.customer_id IN (SELECT p.id FROM p))",
    )
    columns = ", ".join("f.%s" % name for name in FIGURES)
    totals = ", ".join("t.%s" % name for name in FIGURES)
    query = (
        # Only what the figures read: the invoice id would make PostgreSQL visit the table.
        f"WITH b AS (SELECT o.customer_id AS customer_id, o.due_date AS due_date, o.balance AS balance "  # noqa: S608
        f"FROM ({balances}) o), "
        f"n AS ({nets}), "
        # Every customer with an issued document has an account: the accounts give the customers to
        # show, those with a balance or an open invoice, without a UNION to deduplicate.
        f"p AS (SELECT c.id AS id, c.name AS name, COUNT(*) OVER () AS row_count FROM n "
        f"INNER JOIN {customer} c ON c.id = n.customer_id WHERE c.organisation_id = %s "
        "AND (ROUND(n.net, 2) <> 0 OR n.customer_id IN (SELECT b.customer_id FROM b)) "
        "ORDER BY LOWER(c.name), c.id LIMIT %s OFFSET %s), "
        f"t AS ({_totals('b', 'n')}) "
        f"SELECT p.id, p.name, {columns}, p.row_count, {totals} FROM p "
        f"INNER JOIN ({_grouped_figures(rows)}) f ON f.customer_id = p.id CROSS JOIN t "
        "ORDER BY LOWER(p.name), p.id"
    )
    params = (*balance_params, *net_params, organisation.pk, limit, offset, *bucket_params, *bucket_params)
    return query, params


_FIGURE_SUMS = (
    "ROUND(SUM(x.not_due), 2) AS not_due, ROUND(SUM(x.days_1_30), 2) AS days_1_30, "
    "ROUND(SUM(x.days_31_60), 2) AS days_31_60, ROUND(SUM(x.days_61_90), 2) AS days_61_90, "
    "ROUND(SUM(x.over_90), 2) AS over_90, ROUND(SUM(x.owed), 2) AS owed_to_customer, "
    "SUM(x.open_count) AS open_count, SUM(x.overdue_count) AS overdue_count, MIN(x.oldest) AS oldest_due_date, "
    "ROUND(SUM(x.net), 2) AS net"
)
_FIGURE_COLUMNS = (
    "f.not_due AS not_due, f.days_1_30 AS days_1_30, f.days_31_60 AS days_31_60, f.days_61_90 AS days_61_90, "
    "f.over_90 AS over_90, f.owed_to_customer AS owed_to_customer, f.open_count AS open_count, "
    "f.overdue_count AS overdue_count, f.oldest_due_date AS oldest_due_date, f.net AS net, "
    "ROUND(f.not_due + f.days_1_30 + f.days_31_60 + f.days_61_90 + f.over_90 - f.owed_to_customer - f.net, 2) "
    "AS credit"
)


def _figure_rows(balances: str, nets: str) -> str:
    """Return the SQL of the rows the figures add up: one per open invoice, one per account.

    ``balances`` is a relation of (customer_id, due_date, balance), as from
    ``invoice_balances``, and ``nets`` one of (customer_id, net). The
    parameters are the bucket dates, then the relations' own.
    """
    positive = "b.balance > 0"
    return (
        f"SELECT b.customer_id AS customer_id, "  # noqa: S608
        f"CASE WHEN {positive} AND (b.due_date IS NULL OR b.due_date >= %s) THEN b.balance ELSE 0 END AS not_due, "
        f"CASE WHEN {positive} AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END AS days_1_30, "
        f"CASE WHEN {positive} AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END AS days_31_60, "
        f"CASE WHEN {positive} AND b.due_date < %s AND b.due_date >= %s THEN b.balance ELSE 0 END AS days_61_90, "
        f"CASE WHEN {positive} AND b.due_date < %s THEN b.balance ELSE 0 END AS over_90, "
        "CASE WHEN b.balance < 0 THEN -b.balance ELSE 0 END AS owed, "
        f"CASE WHEN {positive} THEN 1 ELSE 0 END AS open_count, "
        f"CASE WHEN {positive} AND b.due_date < %s THEN 1 ELSE 0 END AS overdue_count, "
        f"CASE WHEN {positive} THEN b.due_date END AS oldest, 0 AS net, 1 AS invoice_rows FROM {balances} b "
        "UNION ALL "
        f"SELECT n.customer_id, 0, 0, 0, 0, 0, 0, 0, 0, NULL, n.net, 0 FROM {nets} n"
    )


def _net_per_customer(
    organisation: Any, as_of: datetime.date, currency: str, customers: Customers = None
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (customer_id, net): each customer's account balance on ``as_of``, one row per account.

    The account's balance at the end of a month is one ``CustomerMonth`` row,
    and the movements between that month's end and ``as_of`` are added or
    taken back out: from the end of the previous month in the first half of
    the month, from the end of ``as_of``'s month in the second. On a date in
    the current month or later, the stored account balance (``CustomerAccount``)
    minus the movements dated later reads fewer rows. The movements are added
    up per customer before they meet the accounts: a few thousand rows, where
    adding up every account with them took longer than the join.
    """
    first_day = as_of.replace(day=1)
    month_end = add_months(first_day, 1) - datetime.timedelta(days=1)
    if first_day >= timezone.localdate().replace(day=1):
        anchor, anchor_params = _account_rows(organisation, currency, customers)
        later, later_params = _later_months(organisation, currency, first_day, customers)
        rest, rest_params = _movements_between(organisation, currency, as_of, month_end, -1, customers)
        changes, change_params = f"{later} UNION ALL {rest}", (*later_params, *rest_params)
    elif as_of.day <= 15:
        anchor, anchor_params = _closing_rows(organisation, currency, add_months(first_day, -1), customers)
        changes, change_params = _movements_between(
            organisation, currency, first_day - datetime.timedelta(days=1), as_of, 1, customers
        )
    else:
        anchor, anchor_params = _closing_rows(organisation, currency, first_day, customers)
        changes, change_params = _movements_between(organisation, currency, as_of, month_end, -1, customers)
    query = (
        f"SELECT a.customer_id AS customer_id, a.net + COALESCE(c.change, 0) AS net FROM ({anchor}) a "  # noqa: S608
        f"LEFT JOIN (SELECT x.customer_id AS customer_id, SUM(x.change) AS change FROM ({changes}) x "
        "GROUP BY x.customer_id) c ON c.customer_id = a.customer_id"
    )
    return query, (*anchor_params, *change_params)


def _account_rows(organisation: Any, currency: str, customers: Customers) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (customer_id, net) from the stored account balances."""
    account = sql.table(CustomerAccount)
    customer_filter, customer_params = _customer_filter("a", customers)
    query = (
        f"SELECT a.customer_id AS customer_id, a.balance AS net FROM {account} a "  # noqa: S608
        f"WHERE a.organisation_id = %s AND a.currency = %s {customer_filter}"
    )
    return query, (organisation.pk, currency, *customer_params)


def _later_months(
    organisation: Any, currency: str, month: datetime.date, customers: Customers
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (customer_id, minus the change) of the months after ``month``."""
    months = sql.table(CustomerMonth)
    customer_filter, customer_params = _customer_filter("m", customers)
    query = (
        f"SELECT m.customer_id AS customer_id, -m.change AS change FROM {months} m "  # noqa: S608
        f"WHERE m.organisation_id = %s AND m.currency = %s AND m.month > %s {customer_filter}"
    )
    return query, (organisation.pk, currency, month, *customer_params)


def _closing_rows(
    organisation: Any, currency: str, month: datetime.date, customers: Customers
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (customer_id, balance at the end of ``month``), one row per account.

    A customer has month rows from their first movement to their last. With
    no row for ``month``, they either had not started (zero) or have not moved
    since (their stored balance).
    """
    account, months = sql.table(CustomerAccount), sql.table(CustomerMonth)
    customer_filter, customer_params = _customer_filter("a", customers)
    query = (
        "SELECT a.customer_id AS customer_id, CASE WHEN m.closing IS NOT NULL THEN m.closing "  # noqa: S608
        "WHEN a.first_month IS NULL OR a.first_month > %s THEN 0 ELSE a.balance END AS net "
        f"FROM {account} a LEFT JOIN {months} m ON m.customer_id = a.customer_id AND m.currency = a.currency "
        "AND m.organisation_id = a.organisation_id AND m.month = %s "
        f"WHERE a.organisation_id = %s AND a.currency = %s {customer_filter}"
    )
    return query, (month, month, organisation.pk, currency, *customer_params)


def _movements_between(
    organisation: Any, currency: str, after: datetime.date, until: datetime.date, sign: int, customers: Customers
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of (customer_id, change) of the documents and receipts dated after ``after``, until ``until``.

    ``sign`` 1 adds them to the account, -1 takes them back out of it.
    """
    invoice, receipt = sql.table(Invoice), sql.table(Receipt)
    filters = {alias: _customer_filter(alias, customers) for alias in "ir"}
    query = (
        "SELECT i.customer_id AS customer_id, "  # noqa: S608
        "CASE WHEN i.type_code = %s THEN -i.amount_due ELSE i.amount_due END * %s AS change "
        f"FROM {invoice} i WHERE i.organisation_id = %s AND i.issue_date > %s AND i.issue_date <= %s "
        f"AND i.status = %s AND i.currency = %s {filters['i'][0]} "
        "UNION ALL "
        "SELECT r.customer_id, CASE WHEN r.kind = %s THEN -r.amount ELSE r.amount END * %s "
        f"FROM {receipt} r WHERE r.organisation_id = %s AND r.date > %s AND r.date <= %s AND r.currency = %s "
        f"{filters['r'][0]}"
    )
    documents = (CREDIT_NOTE, sign, organisation.pk, after, until, InvoiceStatus.ISSUED, currency, *filters["i"][1])
    receipts = (ReceiptKind.RECEIVED, sign, organisation.pk, after, until, currency, *filters["r"][1])
    return query, (*documents, *receipts)


def net_total(organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None) -> Decimal:
    """Return the sum of the customers' account balances on ``as_of`` (the « Solde net » total of the aging)."""
    nets, params = _net_per_customer(organisation, as_of, currency, customer_id)
    rows = sql.fetch("SELECT SUM(n.net) FROM (%s) n" % nets, params)  # noqa: S608
    return sql.amount(rows[0][0])


def open_invoice_rows(
    organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None = None
) -> list[tuple[int, Decimal]]:
    """Return (invoice id, balance) of the invoices with a balance other than zero on ``as_of``, oldest due first."""
    balances, params = invoice_balances(organisation, as_of, currency, customer_id)
    query = "SELECT b.invoice_id, b.balance FROM (%s) b ORDER BY b.due_date, b.invoice_id" % balances  # noqa: S608
    return [(invoice_id, sql.amount(balance)) for invoice_id, balance in sql.fetch(query, params)]


class LedgerRow(NamedTuple):
    """One row of ``ledger_lines``, as read from the database (dates may be text, amounts floats on SQLite)."""

    source: int  # 0 for a document, 1 for a receipt
    id: int
    day: Any
    debit: Any
    credit: Any
    code: str  # the document's type code or the receipt's kind
    number: str | None
    reference: str
    due_date: Any
    related_number: str | None  # the invoice a credit note credits
    related_day: Any  # the date of the receipt a reversal cancels
    method: str | None


LEDGER_COLUMNS = LedgerRow._fields
LEDGER_ORDER = "m.day, m.source, m.id"


def ledger_lines(
    organisation: Any, customer_id: int, start: datetime.date, end: datetime.date, currency: str
) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of a customer's movements from ``start`` to ``end``: one row per issued document and receipt.

    The columns are those of ``LedgerRow``. ``LEDGER_ORDER`` sorts the rows
    as the statement prints them, with a day's documents before the money
    that settles them. ``debit`` adds to what the customer owes and
    ``credit`` subtracts; neither is negative.
    """
    invoice, receipt = sql.table(Invoice), sql.table(Receipt)
    # The fragments are table names, and every value is a parameter.
    documents = (
        "SELECT 0 AS source, i.id AS id, i.issue_date AS day, "  # noqa: S608
        "CASE WHEN i.type_code = %s THEN 0 ELSE i.amount_due END AS debit, "
        "CASE WHEN i.type_code = %s THEN i.amount_due ELSE 0 END AS credit, "
        "i.type_code AS code, i.number AS number, i.purchase_order AS reference, i.due_date AS due_date, "
        "c.number AS related_number, NULL AS related_day, NULL AS method "
        f"FROM {invoice} i LEFT OUTER JOIN {invoice} c ON c.id = i.credited_invoice_id "
        "WHERE i.organisation_id = %s AND i.customer_id = %s AND i.status = %s AND i.currency = %s "
        "AND i.issue_date >= %s AND i.issue_date <= %s"
    )
    # What the receipt adds to the account: a refund adds as an invoice does, and a
    # reversal (a negative amount) turns its original around.
    signed = "(CASE WHEN r.kind = %s THEN -r.amount ELSE r.amount END)"
    receipts = (
        f"SELECT 1, r.id, r.date, CASE WHEN {signed} > 0 THEN {signed} ELSE 0 END, "  # noqa: S608
        f"CASE WHEN {signed} < 0 THEN -{signed} ELSE 0 END, "
        "r.kind, NULL, r.reference, NULL, NULL, o.date, r.method "
        f"FROM {receipt} r LEFT OUTER JOIN {receipt} o ON o.id = r.reverses_id "
        "WHERE r.organisation_id = %s AND r.customer_id = %s AND r.currency = %s AND r.date >= %s AND r.date <= %s"
    )
    document_params = (CREDIT_NOTE, CREDIT_NOTE, organisation.pk, customer_id, InvoiceStatus.ISSUED, currency)
    receipt_params = (*[ReceiptKind.RECEIVED] * 4, organisation.pk, customer_id, currency, start, end)
    return f"{documents} UNION ALL {receipts}", (*document_params, start, end, *receipt_params)


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


def current_customers(organisation: Any, currency: str) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL of the ids of the customers ``customer_figures`` gives a row, when ``stored_is_current``.

    They are the customers with an open stored balance or an unsettled
    account, read from two indexes without computing any sum.
    """
    stored, account = sql.table(DocumentBalance), sql.table(CustomerAccount)
    query = (
        f"SELECT d.customer_id AS customer_id FROM {stored} d WHERE d.organisation_id = %s "  # noqa: S608
        "AND d.currency = %s AND d.is_credit_note = %s AND d.balance <> 0 "
        f"UNION SELECT a.customer_id FROM {account} a WHERE a.organisation_id = %s AND a.currency = %s "
        "AND a.balance <> 0"
    )
    return query, (organisation.pk, currency, False, organisation.pk, currency)
