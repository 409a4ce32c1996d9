"""The report figures, as plain rows that the screens, the exports, the CLI and the dashboard share.

Every function aggregates in the database (GROUP BY, conditional sums,
subqueries) and returns dataclasses, so that the dashboard's figures are the
reports' figures by construction. Only issued documents count; drafts never
do. Credit notes count negatively.

Currencies: revenue and VAT are in euros. Each document in another currency
is converted with its own exchange rate, the one its VAT in euros (BT-111)
was computed with. A document in another currency without a rate is listed
apart, never added. Balances (outstanding, aging, receipts, DSO, statements)
are kept in one currency, EUR unless asked otherwise: money in two currencies
is never added up.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any, overload

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, When
from django.db.models.functions import Lower, Trunc
from django.utils.translation import gettext as _

from ardoise.catalogue.models import Product
from ardoise.core.formats import format_date
from ardoise.customers.models import Customer
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.payments.models import Payment, PaymentMethod, ReceiptKind
from ardoise.reports import balances, monthly, sql
from ardoise.reports.models import (
    CustomerAccount,
    DocumentBalance,
    MonthlyInvoicing,
    MonthlyProductRevenue,
    MonthlyReceipts,
    MonthlyRevenue,
    MonthlyVat,
    RevenueKind,
    VatBreakdownRow,
)
from ardoise.reports.periods import (
    Grouping,
    Period,
    Preset,
    add_months,
    bucket_label,
    bucket_start,
    buckets,
    month_end,
    preset_period,
)
from ardoise.reports.stored import HABIT_INVOICES

ZERO = Decimal("0.00")
DEFAULT_CURRENCY = "EUR"
CREDIT_NOTE = DocumentType.CREDIT_NOTE
TRUNC_KINDS = {Grouping.MONTH: "month", Grouping.QUARTER: "quarter", Grouping.YEAR: "year"}


# Outstanding and aging


@dataclass(frozen=True)
class CustomerBalance:
    """What one customer owes on a date, by age of the open invoices.

    ``owed_to_customer`` is what the business owes back on credit notes: the
    negative balances of credited invoices. ``credit`` is the money received
    that settles no invoice yet. ``net`` is the customer's account balance:
    positive when the customer owes, negative when the business does.
    """

    customer_id: int | None
    customer_name: str
    open_count: int = 0
    overdue_count: int = 0
    not_due: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO
    owed_to_customer: Decimal = ZERO
    credit: Decimal = ZERO
    oldest_due_date: datetime.date | None = None

    @property
    def overdue(self) -> Decimal:
        return self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90

    @property
    def open_amount(self) -> Decimal:
        return self.not_due + self.overdue

    @property
    def net(self) -> Decimal:
        return self.open_amount - self.owed_to_customer - self.credit


@dataclass(frozen=True)
class CustomerNet:
    """One customer's net balance, as ``CustomerBalance.net`` gives it, without the other figures."""

    customer_id: int | None
    customer_name: str
    net: Decimal


AGE_BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90")


class BalanceRows(Sequence[CustomerBalance]):
    """The customer rows of a balance report, sorted by name and read from the database as they are used.

    An organisation may have thousands of customers with a balance, and a
    screen shows fifty. Slicing runs the SQL with LIMIT and OFFSET, ``len()``
    and the total row run one aggregate query, and iterating reads every row
    in one query, for the exports.

    When nothing is dated after ``as_of`` (the reports on today), the stored
    balances are the balances on that date: a page first picks its customers
    by name from the stored balances, then computes the figures of those
    customers only, and the total row sums the open balances without
    grouping them per customer. On an earlier date, ``prefetch_page`` and
    ``prefetch_largest`` name the rows a page will read first, so that one
    query returns them with the count and the totals (window functions)
    instead of computing every balance twice.
    """

    BY_NAME = "LOWER(c.name), c.id"
    BY_NET = "f.net DESC, LOWER(c.name), c.id"

    def __init__(self, organisation: Any, as_of: datetime.date, currency: str, customer_id: int | None) -> None:
        self.organisation, self.as_of, self.currency = organisation, as_of, currency
        self.figures_sql, self.figures_params = balances.customer_figures(organisation, as_of, currency, customer_id)
        self.current = customer_id is None and balances.stored_is_current(organisation, as_of)
        # On an earlier date, a page of every customer computes each balance once (``balances.figures_page``).
        self.paged_on_date = customer_id is None and not self.current
        self._summary: tuple[int, CustomerBalance] | None = None
        self._count: int | None = None
        self._total: CustomerBalance | None = None
        self._prefetch: tuple[str, int, int] | None = None
        # Rows already read, per (order, offset): the requested limit and the rows.
        self._read: dict[tuple[str, int], tuple[int, list[CustomerBalance]]] = {}

    def prefetch_page(self, offset: int, limit: int) -> None:
        self._prefetch = (self.BY_NAME, offset, limit)

    def prefetch_largest(self, count: int) -> None:
        if not self.current:
            self._prefetch = (self.BY_NET, 0, count)

    def __len__(self) -> int:
        return self.summary()[0]

    @overload
    def __getitem__(self, index: int) -> CustomerBalance: ...

    @overload
    def __getitem__(self, index: slice) -> list[CustomerBalance]: ...

    def __getitem__(self, index: int | slice) -> CustomerBalance | list[CustomerBalance]:
        if isinstance(index, int):
            position = index + len(self) if index < 0 else index
            found = self._fetch(self.BY_NAME, position, 1) if position >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            return list(self)[index]
        return self._fetch(self.BY_NAME, start, max(stop - start, 0))

    def __iter__(self) -> Iterator[CustomerBalance]:
        return iter(self._fetch(self.BY_NAME, 0, None))

    def summary(self) -> tuple[int, CustomerBalance]:
        """Return how many rows there are and their total row."""
        self._run_prefetch()
        if self._summary is not None:
            return self._summary
        if self.current:
            if self._count is None:
                customers, customer_params = balances.current_customers(self.organisation, self.currency)
                query = f"SELECT COUNT(*) FROM ({customers}) k"  # noqa: S608
                self._count = int(sql.fetch(query, customer_params)[0][0])
            self._summary = (self._count, self.total())
        else:
            query = f"SELECT COUNT(*), {self._totals('')} FROM ({self.figures_sql}) f"  # noqa: S608
            count, *figures = sql.fetch(query, self.figures_params)[0]
            self._summary = (int(count), _customer_balance(None, _("Total"), figures))
        return self._summary

    def total(self) -> CustomerBalance:
        """Return the total row; on the stored balances, without counting the rows (the dashboard's figures)."""
        self._run_prefetch()
        if self._summary is not None:
            return self._summary[1]
        if not self.current:
            return self.summary()[1]
        if self._total is None:
            totals, params = balances.stored_totals(self.organisation, self.as_of, self.currency)
            self._total = _customer_balance(None, _("Total"), sql.fetch(totals, params)[0])
        return self._total

    def largest(self, count: int) -> list[CustomerBalance]:
        """Return the ``count`` customers who owe the most (net balance), largest first."""
        if self.current:
            # On the stored balances, the net balance is the account's: the largest positive ones, by index.
            accounts = (
                CustomerAccount.objects.filter(organisation=self.organisation, currency=self.currency, balance__gt=0)
                .order_by("-balance", Lower("customer__name"), "customer_id")
                .values_list("customer_id", flat=True)[:count]
            )
            return [row for row in self._figures_of(list(accounts), self.BY_NET) if row.net > 0]
        return [row for row in self._fetch(self.BY_NET, 0, count) if row.net > 0]

    def largest_nets(self, count: int) -> list[CustomerNet]:
        """Return the net balances of the ``count`` customers who owe the most, largest first.

        On the stored balances these are the accounts' balances, read with the
        customers' names in one query by index. The other figures of those
        customers, which ``largest`` computes, cost a query over their
        invoices.
        """
        if not self.current:
            return [CustomerNet(row.customer_id, row.customer_name, row.net) for row in self.largest(count)]
        accounts = (
            CustomerAccount.objects.filter(organisation=self.organisation, currency=self.currency, balance__gt=0)
            .order_by("-balance", Lower("customer__name"), "customer_id")
            .values_list("customer_id", "customer__name", "balance")[:count]
        )
        return [CustomerNet(customer_id, name, sql.amount(net)) for customer_id, name, net in accounts]

    def _totals(self, window: str) -> str:
        """Return the SQL of the total of each figure, as aggregates or, with ``window``, as window functions."""
        return ", ".join(
            "%s(f.%s)%s" % ("MIN" if name == "oldest_due_date" else "SUM", name, window) for name in balances.FIGURES
        )

    def _run_prefetch(self) -> None:
        if self._prefetch is None:
            return
        order, offset, limit = self._prefetch
        self._prefetch = None
        if self.current:
            # The page's query also counts the rows; the totals come in their own query.
            self._read[order, offset] = (limit, self._figures_of(self._page_of_names(offset, limit), order))
            return
        if self.paged_on_date and order == self.BY_NAME:
            self._read[order, offset] = (limit, self._page_on_date(offset, limit))
            return
        found = self._query(order, offset, limit, with_totals=True)
        if found:
            first = found[0]
            count, values = first[-len(balances.FIGURES) - 1], first[-len(balances.FIGURES) :]
            self._summary = (int(count), _customer_balance(None, _("Total"), values))
            self._read[order, offset] = (
                limit,
                [_customer_balance(row[0], row[1], row[2 : 2 + len(balances.FIGURES)]) for row in found],
            )

    def _fetch(self, order: str, offset: int, limit: int | None) -> list[CustomerBalance]:
        self._run_prefetch()
        read = self._read.get((order, offset))
        if read is not None and limit is not None and limit <= read[0]:
            return read[1][:limit]
        if self.current and limit is not None and order == self.BY_NAME:
            rows = self._figures_of(self._page_of_names(offset, limit), order)
        elif self.paged_on_date and limit is not None and order == self.BY_NAME:
            rows = self._page_on_date(offset, limit)
        else:
            rows = [_customer_balance(row[0], row[1], row[2:]) for row in self._query(order, offset, limit)]
        if limit is not None:
            self._read[order, offset] = (limit, rows)
        return rows

    def _page_on_date(self, offset: int, limit: int) -> list[CustomerBalance]:
        """Return one page by name on an earlier date; keep the count and the total row its query also gives."""
        query, params = balances.figures_page(self.organisation, self.as_of, self.currency, offset, limit)
        found = sql.fetch(query, params)
        size = len(balances.FIGURES)
        if found:
            first = found[0]
            self._summary = (int(first[2 + size]), _customer_balance(None, _("Total"), first[3 + size :]))
        return [_customer_balance(row[0], row[1], row[2 : 2 + size]) for row in found]

    def _page_of_names(self, offset: int, limit: int) -> list[int]:
        """Return the ids of one page of the customers with a row, by name, from the stored balances.

        The window function counts every row, for the paginator, in the same query.
        """
        customers, params = balances.current_customers(self.organisation, self.currency)
        query = (
            f"SELECT c.id, COUNT(*) OVER () FROM {sql.table(Customer)} c WHERE c.organisation_id = %s "  # noqa: S608
            f"AND c.id IN ({customers}) ORDER BY {self.BY_NAME} LIMIT %s OFFSET %s"
        )
        found = sql.fetch(query, (self.organisation.pk, *params, limit, offset))
        if found:
            self._count = int(found[0][1])
        return [row[0] for row in found]

    def _figures_of(self, customer_ids: list[int], order: str) -> list[CustomerBalance]:
        """Return the rows of these customers only, in ``order``."""
        if not customer_ids:
            return []
        figures, params = balances.customer_figures(self.organisation, self.as_of, self.currency, customer_ids)
        return [_customer_balance(row[0], row[1], row[2:]) for row in self._query(order, 0, None, (figures, params))]

    def _query(
        self,
        order: str,
        offset: int,
        limit: int | None,
        figures: tuple[str, tuple[Any, ...]] | None = None,
        *,
        with_totals: bool = False,
    ) -> list[Any]:
        figures_sql, figures_params = figures or (self.figures_sql, self.figures_params)
        columns = ", ".join("f.%s" % name for name in balances.FIGURES)
        if with_totals:
            columns += ", COUNT(*) OVER (), " + self._totals(" OVER ()")
        query = (
            f"SELECT f.customer_id, c.name, {columns} FROM ({figures_sql}) f "  # noqa: S608
            f"INNER JOIN {sql.table(Customer)} c ON c.id = f.customer_id ORDER BY {order}"
        )
        params: list[Any] = list(figures_params)
        if limit is not None:
            query += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        return sql.fetch(query, params)


def _customer_balance(customer_id: int | None, name: str, values: Sequence[Any]) -> CustomerBalance:
    figures = dict(zip(balances.FIGURES, values, strict=True))
    return CustomerBalance(
        customer_id=customer_id,
        customer_name=name,
        open_count=int(figures["open_count"] or 0),
        overdue_count=int(figures["overdue_count"] or 0),
        oldest_due_date=balances.as_date(figures["oldest_due_date"]),
        owed_to_customer=sql.amount(figures["owed_to_customer"]),
        credit=sql.amount(figures["credit"]),
        **{bucket: sql.amount(figures[bucket]) for bucket in AGE_BUCKETS},
    )


@dataclass(frozen=True, eq=False)
class BalanceReport:
    as_of: datetime.date
    currency: str
    rows: BalanceRows

    @property
    def total(self) -> CustomerBalance:
        return self.rows.total()


def customer_balances(
    organisation: Any, as_of: datetime.date, currency: str = DEFAULT_CURRENCY, customer_id: int | None = None
) -> BalanceReport:
    """Return each customer's open invoices by age, what is owed back, their credit and net balance on ``as_of``.

    Payments, credit notes and receipts dated after ``as_of`` are left out,
    so a past date gives the balances as they stood that evening. Customers
    whose account is settled are left out. Rows are sorted by name and read
    from the database only when used (``BalanceRows``).
    """
    return BalanceReport(as_of, currency, BalanceRows(organisation, as_of, currency, customer_id))


def top_customers(report: BalanceReport, count: int = 10) -> list[CustomerNet]:
    """Return the customers who owe the most (net balance), largest first."""
    return report.rows.largest_nets(count)


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice whose balance is not zero on ``as_of``: negative when the business owes a refund."""

    invoice_id: int
    number: str
    customer_id: int
    customer_name: str
    issue_date: datetime.date | None
    due_date: datetime.date | None
    total_with_vat: Decimal
    balance: Decimal
    days_overdue: int  # 0 when not yet due


def open_invoices(
    organisation: Any, as_of: datetime.date, currency: str = DEFAULT_CURRENCY, customer_id: int | None = None
) -> list[OpenInvoice]:
    """List the invoices with a balance on ``as_of``, oldest due date first."""
    found = balances.open_invoice_rows(organisation, as_of, currency, customer_id)
    # Plain values: a customer may have hundreds of open invoices, and models cost far more to build.
    fields = ("pk", "number", "customer_id", "customer__name", "issue_date", "due_date", "total_with_vat")
    invoices = {row["pk"]: row for row in Invoice.objects.filter(pk__in=[pk for pk, _balance in found]).values(*fields)}
    rows = []
    for pk, balance in found:
        invoice = invoices[pk]
        due_date = invoice["due_date"]
        late = (as_of - due_date).days if due_date else 0
        rows.append(
            OpenInvoice(
                invoice_id=pk,
                number=invoice["number"],
                customer_id=invoice["customer_id"],
                customer_name=invoice["customer__name"],
                issue_date=invoice["issue_date"],
                due_date=due_date,
                total_with_vat=invoice["total_with_vat"],
                balance=balance,
                days_overdue=max(late, 0) if balance > 0 else 0,
            )
        )
    return rows


# Revenue


@dataclass(frozen=True)
class RevenueLine:
    """Revenue excluding VAT of one period, customer or product, in euros.

    ``credited`` is negative. ``vat`` is None for a product: VAT is computed
    per VAT group of a document, never per product.
    """

    key: Any
    label: str
    documents: int
    invoiced: Decimal
    credited: Decimal
    vat: Decimal | None

    @property
    def net(self) -> Decimal:
        return self.invoiced + self.credited

    @property
    def with_vat(self) -> Decimal | None:
        return None if self.vat is None else self.net + self.vat


@dataclass(frozen=True)
class Unconverted:
    """Documents in another currency issued without an exchange rate: counted apart, in their currency."""

    currency: str
    documents: int
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class RevenueReport:
    period: Period
    grouping: str
    rows: Sequence[RevenueLine]  # a lazy RevenueByCustomer when grouped by customer
    total: RevenueLine
    unconverted: list[Unconverted]


class RevenueGrouping:
    """The ways to split revenue: the three period groupings, then customers and products."""

    CUSTOMER = "client"
    PRODUCT = "produit"
    CHOICES = (
        *Grouping.choices,
        (CUSTOMER, _("Client")),
        (PRODUCT, _("Article")),
    )


def revenue(
    organisation: Any, period: Period, grouping: str = Grouping.MONTH, customer_id: int | None = None
) -> RevenueReport:
    """Return revenue excluding VAT, by month, quarter, year, customer or product (``RevenueGrouping``).

    Every month, quarter or year of the period gets a row, even without a
    document. By product, lines without a product make one row, and the
    allowances and charges on the document's total another, so that every
    grouping adds up to the same total.
    """
    in_period = Q(issue_date__gte=period.start, issue_date__lte=period.end)
    monthly.fill_missing_rows(organisation)
    per_month = _revenue_per_month(organisation, period, customer_id)
    converted: monthly.Totals = {}
    unconverted: monthly.Totals = {}
    for (month, currency, is_converted), figures in per_month.items():
        if is_converted:
            monthly.add_to(converted, (month,), figures)
        else:
            monthly.add_to(unconverted, (currency,), figures)
    whole: monthly.Totals = {}
    for figures in converted.values():
        monthly.add_to(whole, (), figures)
    total_figures = whole.get((), {})

    rows: Sequence[RevenueLine]
    if grouping == RevenueGrouping.PRODUCT:
        rows = _revenue_by_product(organisation, period, customer_id)
        total = _revenue_line(total_figures, None, _("Total"), with_vat=False)
    elif grouping == RevenueGrouping.CUSTOMER:
        rows = RevenueByCustomer(organisation, in_period, customer_id)
        total = _revenue_line(total_figures, None, _("Total"))
    else:
        per_bucket: dict[tuple[Any, ...], dict[str, Any]] = {}
        for (month,), figures in converted.items():
            monthly.add_to(per_bucket, (bucket_start(month, grouping),), figures)
        rows = [
            _revenue_line(per_bucket.get((start,), {}), start, bucket_label(start, grouping))
            for start in buckets(period, grouping)
        ]
        total = _revenue_line(total_figures, None, _("Total"))
    others = [
        Unconverted(currency, figures["documents"], figures["invoiced"] + figures["credited"], figures["vat"])
        for (currency,), figures in sorted(unconverted.items())
    ]
    return RevenueReport(period, grouping, rows, total, others)


def _revenue_per_month(organisation: Any, period: Period, customer_id: int | None) -> monthly.Totals:
    """Return the period's revenue figures per (month, currency, converted), from the monthly totals if it can."""
    if customer_id is not None:
        in_period = Q(issue_date__gte=period.start, issue_date__lte=period.end, customer_id=customer_id)
        return monthly.revenue_from_rows(organisation.pk, in_period)
    return monthly.period_totals(MonthlyRevenue, organisation, period, monthly.revenue_from_rows, "issue_date")


class RevenueByCustomer(Sequence["RevenueLine"]):
    """The revenue rows of a period per customer, sorted by name, read a page at a time like ``BalanceRows``."""

    FIGURES = ("documents", "invoiced", "credited", "vat")

    def __init__(self, organisation: Any, in_period: Q, customer_id: int | None) -> None:
        rows = VatBreakdownRow.objects.filter(in_period, organisation=organisation, taxable_amount_eur__isnull=False)
        if customer_id is not None:
            rows = rows.filter(customer_id=customer_id)
        self.rows = rows.order_by()
        self._count: int | None = None
        self._prefetch: tuple[int, int] | None = None
        self._read: dict[int, tuple[int, list[RevenueLine]]] = {}

    def prefetch_page(self, offset: int, limit: int) -> None:
        """Name the page the screen will read, to get it with the count in one query."""
        self._prefetch = (offset, limit)

    def __len__(self) -> int:
        self._run_prefetch()
        if self._count is None:
            self._count = self.rows.values("customer_id").distinct().count()
        return self._count

    @overload
    def __getitem__(self, index: int) -> RevenueLine: ...

    @overload
    def __getitem__(self, index: slice) -> list[RevenueLine]: ...

    def __getitem__(self, index: int | slice) -> RevenueLine | list[RevenueLine]:
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else list(self)[index : index + 1 or None]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            return list(self)[index]
        return self._fetch(start, stop - start)

    def __iter__(self) -> Iterator[RevenueLine]:
        return iter(self._fetch(0, None))

    def _run_prefetch(self) -> None:
        """Read the page named by ``prefetch_page``: its customers by name first, then the sums of those only.

        The customers of the period and their count come from the index on
        the VAT rows' dates. Only the page's fifty customers have their rows
        added up.
        """
        if self._prefetch is None:
            return
        offset, limit = self._prefetch
        self._prefetch = None
        with_rows, params = sql.compiled(self.rows.values("customer_id").distinct())
        # A join on the distinct ids rather than IN: PostgreSQL 15 otherwise probes each customer's rows in turn.
        query = (
            f"SELECT c.id, COUNT(*) OVER () FROM {sql.table(Customer)} c "  # noqa: S608
            f"INNER JOIN ({with_rows}) r ON r.customer_id = c.id ORDER BY LOWER(c.name), c.id LIMIT %s OFFSET %s"
        )
        found = sql.fetch(query, [*params, limit, offset])
        if not found:
            return
        self._count = int(found[0][1])
        page = self._per_customer().filter(customer_id__in=[row[0] for row in found])
        sums = {row["customer_id"]: row for row in page}
        lines = [_revenue_line(sums[pk], pk, sums[pk]["customer_name"]) for pk, _count in found]
        self._read[offset] = (limit, lines)

    def _fetch(self, offset: int, limit: int | None) -> list[RevenueLine]:
        self._run_prefetch()
        read = self._read.get(offset)
        if read is not None and limit is not None and limit <= read[0]:
            return read[1][:limit]
        per_customer = self._per_customer().order_by(Lower("customer_name"), "customer_id")
        rows = per_customer[offset : None if limit is None else offset + limit]
        return [_revenue_line(row, row["customer_id"], row["customer_name"]) for row in rows]

    def _per_customer(self) -> QuerySet[Any, Any]:
        # The name as an alias, so that the SQL wrapping this query in _run_prefetch can name it.
        return self.rows.values("customer_id", customer_name=F("customer__name")).annotate(
            **_revenue_sums("taxable_amount_eur", "tax_amount_eur")
        )


def _revenue_sums(net: str, vat: str | None) -> dict[str, Any]:
    sums: dict[str, Any] = {
        "documents": Count("invoice", distinct=True),
        "invoiced": Sum(net, filter=Q(is_credit_note=False)),
        "credited": Sum(net, filter=Q(is_credit_note=True)),
    }
    if vat is not None:
        sums["vat"] = Sum(vat)
    return sums


def _revenue_line(row: Mapping[str, Any], key: Any, label: str, *, with_vat: bool = True) -> RevenueLine:
    return RevenueLine(
        key=key,
        label=label,
        documents=row.get("documents") or 0,
        invoiced=sql.amount(row.get("invoiced")),
        credited=sql.amount(row.get("credited")),
        vat=sql.amount(row.get("vat")) if with_vat else None,
    )


def _revenue_by_product(organisation: Any, period: Period, customer_id: int | None) -> list[RevenueLine]:
    if customer_id is None:
        per_month = monthly.period_totals(
            MonthlyProductRevenue, organisation, period, monthly.products_from_rows, "issue_date"
        )
    else:
        in_period = Q(issue_date__gte=period.start, issue_date__lte=period.end, customer_id=customer_id)
        per_month = monthly.products_from_rows(organisation.pk, in_period)
    names = dict(Product.objects.filter(organisation=organisation).values_list("pk", "name"))
    per_product: monthly.Totals = {}
    for (_month, kind, product), figures in per_month.items():
        if kind == RevenueKind.ADJUSTMENTS:
            group: tuple[Any, ...] = ("adjustments",)
        elif product in names:
            group = (product,)
        else:
            # Lines without a product, and those of a product deleted since.
            group = ("free_lines",)
        monthly.add_to(per_product, group, figures)
    products, others = [], []
    for (key,), figures in per_product.items():
        if key == "adjustments":
            others.append(_revenue_line(figures, key, _("Remises et frais sur le total"), with_vat=False))
        elif key == "free_lines":
            others.insert(0, _revenue_line(figures, key, _("Sans article (lignes libres)"), with_vat=False))
        else:
            products.append(_revenue_line(figures, key, names[key], with_vat=False))
    products.sort(key=lambda line: (-line.net, line.label.lower()))
    return products + others


# Receipts


RECEIVED_METHODS = tuple(PaymentMethod.values)


@dataclass(frozen=True)
class ReceiptsLine:
    """Money received and refunded in one period.

    ``by_method`` and ``received`` include reversals (negative), dated on
    the day the receipt was reversed. ``bank_fees`` is what the bank kept on
    the money received; ``refunds`` is the money paid back to customers.
    """

    key: Any
    label: str
    count: int
    by_method: dict[str, Decimal]
    received: Decimal
    bank_fees: Decimal
    refunds: Decimal

    @property
    def net(self) -> Decimal:
        return self.received - self.refunds


@dataclass(frozen=True)
class ReceiptsReport:
    period: Period
    grouping: str
    currency: str
    rows: list[ReceiptsLine]
    total: ReceiptsLine


def receipts(
    organisation: Any,
    period: Period,
    grouping: str = Grouping.MONTH,
    currency: str = DEFAULT_CURRENCY,
    customer_id: int | None = None,
) -> ReceiptsReport:
    """Return the money received per period and payment method, and the refunds, in one currency."""
    if customer_id is None:
        per_month = monthly.period_totals(
            MonthlyReceipts, organisation, period, monthly.receipts_from_source, "date", currency=currency
        )
    else:
        in_period = Q(date__gte=period.start, date__lte=period.end, currency=currency, customer_id=customer_id)
        per_month = monthly.receipts_from_source(organisation.pk, in_period)
    by_bucket: monthly.Totals = {}
    for (month, _currency, kind, method), figures in per_month.items():
        if kind == ReceiptKind.RECEIVED:
            parts = {
                "count": figures["count"],
                "received": figures["amount"],
                "bank_fees": figures["bank_fees"],
                "method_" + method: figures["amount"],
            }
        else:
            parts = {"count": figures["count"], "refunds": figures["amount"]}
        monthly.add_to(by_bucket, (bucket_start(month, grouping),), parts)
    rows = [
        _receipts_line(by_bucket.get((start,), {}), start, bucket_label(start, grouping))
        for start in buckets(period, grouping)
    ]
    # Each receipt falls in one period: the rows add up to the total.
    total = ReceiptsLine(
        key=None,
        label=_("Total"),
        count=sum(line.count for line in rows),
        by_method={method: sum((line.by_method[method] for line in rows), ZERO) for method in RECEIVED_METHODS},
        received=sum((line.received for line in rows), ZERO),
        bank_fees=sum((line.bank_fees for line in rows), ZERO),
        refunds=sum((line.refunds for line in rows), ZERO),
    )
    return ReceiptsReport(period, grouping, currency, rows, total)


def _receipts_line(row: Mapping[str, Any], key: Any, label: str) -> ReceiptsLine:
    return ReceiptsLine(
        key=key,
        label=label,
        count=row.get("count") or 0,
        by_method={method: sql.amount(row.get("method_" + method)) for method in RECEIVED_METHODS},
        received=sql.amount(row.get("received")),
        bank_fees=sql.amount(row.get("bank_fees")),
        refunds=sql.amount(row.get("refunds")),
    )


# Days sales outstanding


@dataclass(frozen=True)
class DsoLine:
    """DSO = receivables at the end of the period ÷ revenue including VAT of the period × days in the period.

    ``receivables`` is the net balance of every customer account on ``end``
    (the « Solde net » total of the aging report on that date). ``dso`` is
    None when the period's revenue is zero or negative.
    """

    label: str
    start: datetime.date
    end: datetime.date
    receivables: Decimal
    revenue_with_vat: Decimal
    dso: Decimal | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class DsoReport:
    period: Period
    currency: str
    rows: list[DsoLine]
    total: DsoLine


def days_sales_outstanding(
    organisation: Any, period: Period, currency: str = DEFAULT_CURRENCY, customer_id: int | None = None
) -> DsoReport:
    """Return the DSO of each month of the period, and of the whole period."""
    movements, revenue_by_month = _dso_months(organisation, period, currency, customer_id)

    # What customers owed before the first month: what they owe at the end, less the months in between.
    receivables = balances.net_total(organisation, period.end, currency, customer_id) - sum(movements.values(), ZERO)
    rows = []
    for start in buckets(period, Grouping.MONTH):
        receivables += movements.get(start, ZERO)
        line_start, line_end = max(start, period.start), min(month_end(start), period.end)
        label = bucket_label(start, Grouping.MONTH)
        rows.append(_dso_line(label, line_start, line_end, receivables, revenue_by_month.get(start, ZERO)))
    total_revenue = sum((row.revenue_with_vat for row in rows), ZERO)
    total = _dso_line(_("Période entière"), period.start, period.end, receivables, total_revenue)
    return DsoReport(period, currency, rows, total)


def _dso_months(
    organisation: Any, period: Period, currency: str, customer_id: int | None
) -> tuple[dict[datetime.date, Decimal], dict[datetime.date, Decimal]]:
    """Return, per month, how much customers' accounts moved (from the first day of the first month), and revenue.

    Revenue is the total including VAT of the documents issued in the period,
    credit notes negative. Without a customer, both come from the monthly totals.
    """
    first_month = period.start.replace(day=1)
    if customer_id is not None:
        movements = balances.ledger_movements_by_month(
            organisation, period.end, currency, customer_id, start=first_month
        )
        documents = Invoice.objects.filter(
            organisation=organisation,
            status=InvoiceStatus.ISSUED,
            currency=currency,
            customer_id=customer_id,
            issue_date__gte=period.start,
            issue_date__lte=period.end,
        ).order_by()
        signed_total = Case(
            When(type_code=CREDIT_NOTE, then=-F("total_with_vat")),
            default=F("total_with_vat"),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
        per_month = (
            documents.annotate(month=Trunc("issue_date", "month")).values("month").annotate(total=Sum(signed_total))
        )
        return movements, {monthly.month_of(row["month"]): sql.amount(row["total"]) for row in per_month}

    since_first_month = Period(first_month, period.end)
    movements = {}
    from_documents = monthly.invoicing_from_documents
    for (month, _currency), figures in monthly.period_totals(
        MonthlyInvoicing, organisation, since_first_month, from_documents, "issue_date", currency=currency
    ).items():
        movements[month] = movements.get(month, ZERO) + figures["amount_due"]
    money = monthly.receipts_from_source
    for (month, _currency, kind, _method), figures in monthly.period_totals(
        MonthlyReceipts, organisation, since_first_month, money, "date", currency=currency
    ).items():
        change = -figures["amount"] if kind == ReceiptKind.RECEIVED else figures["amount"]
        movements[month] = movements.get(month, ZERO) + change
    revenue = {
        month: figures["total_with_vat"]
        for (month, _currency), figures in monthly.period_totals(
            MonthlyInvoicing, organisation, period, from_documents, "issue_date", currency=currency
        ).items()
    }
    return movements, revenue


def _dso_line(label: str, start: datetime.date, end: datetime.date, receivables: Decimal, revenue: Decimal) -> DsoLine:
    days = (end - start).days + 1
    dso = None
    if revenue > 0:
        dso = (receivables / revenue * days).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return DsoLine(label, start, end, receivables, revenue, dso)


# VAT collected


@dataclass(frozen=True)
class VatLine:
    """VAT collected at one rate, in euros: on documents issued (débits) and on money received (encaissements)."""

    category: str
    rate: Decimal | None
    debits_base: Decimal
    debits_vat: Decimal
    receipts_base: Decimal
    receipts_vat: Decimal


@dataclass(frozen=True)
class VatReport:
    period: Period
    rows: list[VatLine]
    total: VatLine
    unconverted: list[Unconverted]


def vat_collected(organisation: Any, period: Period, customer_id: int | None = None) -> VatReport:
    """Return the VAT collected per rate in the period, on débits and on encaissements.

    On débits: the VAT breakdown of every invoice and credit note issued in
    the period. On encaissements: for each payment dated in the period, the
    share of its document's VAT (and base) that it pays, computed per
    document so that a fully paid document gives exactly its VAT (see
    ``_vat_on_receipts``). A refund paid on a credit note gives back the
    VAT of that credit note.
    """
    monthly.fill_missing_rows(organisation)
    per_rate: monthly.Totals = {}
    parts = [period]
    if customer_id is None:
        full, parts = monthly.split_period(period)
        if full is not None:
            for (_month, category, rate), figures in monthly.read_totals(
                MonthlyVat, organisation, full, monthly.VAT_KEY
            ).items():
                monthly.add_to(per_rate, (category, rate), figures)
    for part in parts:
        issued = Q(issue_date__gte=part.start, issue_date__lte=part.end)
        if customer_id is not None:
            issued &= Q(customer_id=customer_id)
        for (_month, category, rate), figures in monthly.debits_from_rows(organisation.pk, issued).items():
            monthly.add_to(per_rate, (category, rate), figures)
        for key, (base, vat) in _vat_on_receipts(organisation, part, customer_id).items():
            monthly.add_to(per_rate, key, {"receipts_base": base, "receipts_vat": vat})

    rows = [
        VatLine(
            category=category,
            rate=rate,
            debits_base=figures.get("debits_base", ZERO),
            debits_vat=figures.get("debits_vat", ZERO),
            receipts_base=figures.get("receipts_base", ZERO),
            receipts_vat=figures.get("receipts_vat", ZERO),
        )
        for (category, rate), figures in sorted(per_rate.items(), key=lambda item: (-item[0][1], item[0][0]))
    ]
    total = VatLine(
        category="",
        rate=None,
        debits_base=sum((row.debits_base for row in rows), ZERO),
        debits_vat=sum((row.debits_vat for row in rows), ZERO),
        receipts_base=sum((row.receipts_base for row in rows), ZERO),
        receipts_vat=sum((row.receipts_vat for row in rows), ZERO),
    )
    unconverted: monthly.Totals = {}
    for (_month, currency, is_converted), figures in _revenue_per_month(organisation, period, customer_id).items():
        if not is_converted:
            monthly.add_to(unconverted, (currency,), figures)
    others = [
        Unconverted(currency, figures["documents"], figures["invoiced"] + figures["credited"], figures["vat"])
        for (currency,), figures in sorted(unconverted.items())
    ]
    return VatReport(period, rows, total, others)


def _vat_on_receipts(
    organisation: Any, period: Period, customer_id: int | None
) -> dict[tuple[str, Decimal], tuple[Decimal, Decimal]]:
    """Return the VAT base and VAT paid per (category, rate) by the payments dated in the period.

    A payment's share of a document's VAT at one rate is
    round(VAT × paid up to and including it ÷ total) − round(VAT × paid before it ÷ total),
    with payments in date order. Summed over the payments of a period, the
    shares telescope to round(VAT × paid by the end ÷ total) −
    round(VAT × paid before the start ÷ total), which the SQL computes per
    document: each payment is rounded on its own, and once a document is
    fully paid its shares add up to its VAT exactly, whatever the roundings.
    """
    # The fragments are table names and SQL built here; every value is a parameter.
    # Only the documents paid in the period count, but each one with all its earlier payments.
    paid = (
        "SELECT p.invoice_id AS invoice_id, "  # noqa: S608
        "SUM(CASE WHEN p.date < %s THEN p.amount ELSE 0 END) AS paid_before, "
        "SUM(p.amount) AS paid_through "
        f"FROM {sql.table(Payment)} p WHERE p.organisation_id = %s AND p.date <= %s AND p.invoice_id IN ("
        f"SELECT q.invoice_id FROM {sql.table(Payment)} q "
        "WHERE q.organisation_id = %s AND q.date >= %s AND q.date <= %s) "
        "GROUP BY p.invoice_id"
    )
    params: list[Any] = [period.start, organisation.pk, period.end, organisation.pk, period.start, period.end]
    customer_filter = ""
    if customer_id is not None:
        customer_filter = "AND v.customer_id = %s"
    query = (  # noqa: S608
        "SELECT v.category, v.rate, "
        "SUM(({base_through}) - ({base_before})), SUM(({vat_through}) - ({vat_before})) "
        "FROM {vat_row} v "
        "INNER JOIN ({paid}) s ON s.invoice_id = v.invoice_id "
        "INNER JOIN {invoice} i ON i.id = v.invoice_id "
        "WHERE v.organisation_id = %s AND v.tax_amount_eur IS NOT NULL AND i.total_with_vat > 0 {customer_filter} "
        "GROUP BY v.category, v.rate"
    ).format(
        base_through=sql.vat_share("v.taxable_amount_eur", "s.paid_through"),
        base_before=sql.vat_share("v.taxable_amount_eur", "s.paid_before"),
        vat_through=sql.vat_share("v.tax_amount_eur", "s.paid_through"),
        vat_before=sql.vat_share("v.tax_amount_eur", "s.paid_before"),
        vat_row=sql.table(VatBreakdownRow),
        paid=paid,
        invoice=sql.table(Invoice),
        customer_filter=customer_filter,
    )
    params.append(organisation.pk)
    if customer_id is not None:
        params.append(customer_id)
    result = {}
    for category, rate, base_cents, vat_cents in sql.fetch(query, params):
        key = (category, sql.amount(rate))
        result[key] = (Decimal(int(base_cents)).scaleb(-2), Decimal(int(vat_cents)).scaleb(-2))
    return result


# Payments received, by invoice


def invoiced_and_collected(
    organisation: Any, last_month: datetime.date, months: int = 12, currency: str = DEFAULT_CURRENCY
) -> list[tuple[RevenueLine, ReceiptsLine]]:
    """Return the revenue and the money received of each of the ``months`` months ending with ``last_month``.

    Both are lines of the reports, ``revenue`` (in euros) and ``receipts`` (in
    ``currency``), oldest month first, so the dashboard chart shows the
    reports' figures.
    """
    start = add_months(last_month, -(months - 1))
    period = Period(start, month_end(last_month))
    invoiced = revenue(organisation, period, Grouping.MONTH).rows
    collected = receipts(organisation, period, Grouping.MONTH, currency).rows
    return list(zip(invoiced, collected, strict=True))


# Customer statement (relevé de compte)

# A relevé de compte is usually monthly, like a bank statement: the month's movements after the balance carried forward.
STATEMENT_PRESET = Preset.THIS_MONTH


def default_statement_period(today: datetime.date) -> Period:
    """Return the period of a statement when none is chosen: this month, up to ``today``.

    A statement states the balance on its last day and the days each open
    invoice is late on that day, so it never ends after today.
    """
    return preset_period(STATEMENT_PRESET, today).until(today)


class EntryKind:
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    RECEIPT = "receipt"
    REFUND = "refund"


@dataclass(frozen=True)
class StatementLine:
    """One movement of a customer's account: ``debit`` adds to what the customer owes, ``credit`` subtracts."""

    date: datetime.date
    kind: str
    label: str
    reference: str
    due_date: datetime.date | None
    debit: Decimal
    credit: Decimal
    balance: Decimal  # after this movement
    invoice_id: int | None = None
    receipt_id: int | None = None


@dataclass(frozen=True, eq=False)
class Statement:
    """A customer's account over a period: opening balance, every movement, closing balance.

    The balances are the « Solde net » of the aging report on the day before
    the period and on its last day. ``credit`` is the part of the closing
    balance that is money received and not yet applied to an invoice. The
    lines, their totals, the credit and the open invoices are read from the
    database when first used: the screen reads one page of lines, the PDF
    and the exports all of them.
    """

    organisation: Any
    customer: Customer
    period: Period
    currency: str
    lines: StatementLines

    @property
    def opening_balance(self) -> Decimal:
        return self.lines.opening

    @property
    def total_debit(self) -> Decimal:
        return self.lines.totals()[0]

    @property
    def total_credit(self) -> Decimal:
        return self.lines.totals()[1]

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.total_debit - self.total_credit

    @cached_property
    def credit(self) -> Decimal:
        return customer_balances(self.organisation, self.period.end, self.currency, self.customer.pk).total.credit

    @cached_property
    def open_invoices(self) -> list[OpenInvoice]:
        return open_invoices(self.organisation, self.period.end, self.currency, self.customer.pk)


def statement(organisation: Any, customer: Customer, period: Period, currency: str = DEFAULT_CURRENCY) -> Statement:
    """Return the customer's statement: invoices, credit notes, money received and refunds of the period."""
    lines = StatementLines(organisation, customer.pk, period, currency)
    return Statement(organisation, customer, period, currency, lines)


# The positions of the amounts in a row of ``balances.ledger_lines``.
DEBIT = balances.LEDGER_COLUMNS.index("debit")
CREDIT = balances.LEDGER_COLUMNS.index("credit")


class StatementLines(Sequence[StatementLine]):
    """The lines of a statement, read from the database only for the items used.

    The balance after each line is computed in SQL (a running sum over the
    period's movements, added to the opening balance), so a slice reads only
    its own lines and the screen's page 30 costs what page 1 does. Iterating
    reads every line in one query, for the PDF and the exports. The count
    and the totals come from one aggregate query, from the lines once read,
    or with the slice that ``prefetch_page`` names, from that slice's query.

    The opening balance is the closing one, the customer's net balance on the
    period's last day, less the period's movements. A net balance on a day is
    the stored account balance less the movements dated after that day. So
    the closing balance reads only the movements after the period (none when
    it ends today), never those of the period itself.
    """

    def __init__(self, organisation: Any, customer_id: int, period: Period, currency: str) -> None:
        self.organisation = organisation
        self.customer_id = customer_id
        self.period = period
        self.currency = currency
        self.movements_sql, self.movements_params = balances.ledger_lines(
            organisation, customer_id, period.start, period.end, currency
        )
        self._summary: tuple[int, Decimal, Decimal] | None = None
        self._all: list[StatementLine] | None = None
        self._prefetch: tuple[int, int] | None = None
        # Rows already read, per offset: the requested limit and the rows.
        self._read: dict[int, tuple[int, list[Any]]] = {}
        # A statement lists thousands of lines with a handful of labels: each is translated once.
        self._templates = {
            "invoice": _("Facture %(number)s"),
            "credit_note": _("Avoir %(number)s"),
            "credited": _("sur la facture %(number)s"),
        }
        self._labels = {
            (is_refund, method): (_("Remboursement par %(method)s") if is_refund else _("Règlement par %(method)s"))
            % {"method": str(name).lower()}
            for method, name in PaymentMethod.choices
            for is_refund in (False, True)
        }

    def __len__(self) -> int:
        return self._totals()[0]

    @overload
    def __getitem__(self, index: int) -> StatementLine: ...

    @overload
    def __getitem__(self, index: slice) -> list[StatementLine]: ...

    def __getitem__(self, index: int | slice) -> StatementLine | list[StatementLine]:
        if self._all is not None:
            return self._all[index]
        if isinstance(index, int):
            position = index + len(self) if index < 0 else index
            found = self._fetch(position, 1) if position >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            return list(self)[index]
        return self._fetch(start, stop - start) if stop > start else []

    def __iter__(self) -> Iterator[StatementLine]:
        if self._all is None:
            self._all = self._fetch(0, None)
        return iter(self._all)

    @cached_property
    def closing(self) -> Decimal:
        """The customer's net balance on the period's last day."""
        return balances.net_total(self.organisation, self.period.end, self.currency, self.customer_id)

    @property
    def opening(self) -> Decimal:
        """The customer's net balance on the day before the period."""
        _count, debit, credit = self._totals()
        return self.closing - debit + credit

    def totals(self) -> tuple[Decimal, Decimal]:
        """Return the total debit and the total credit of the lines."""
        _count, debit, credit = self._totals()
        return debit, credit

    def prefetch_page(self, offset: int, limit: int) -> None:
        """Name the slice the screen will read first, so that one query returns it with the count and the totals."""
        self._prefetch = (offset, limit)

    def _totals(self) -> tuple[int, Decimal, Decimal]:
        self._run_prefetch()
        if self._summary is None:
            query = f"SELECT COUNT(*), SUM(m.debit), SUM(m.credit) FROM ({self.movements_sql}) m"  # noqa: S608
            count, debit, credit = sql.fetch(query, self.movements_params)[0]
            self._summary = (int(count), sql.amount(debit), sql.amount(credit))
        return self._summary

    def _run_prefetch(self) -> None:
        if self._prefetch is None:
            return
        offset, limit = self._prefetch
        self._prefetch = None
        found = self._query(offset, limit, "COUNT(*) OVER (), SUM(m.debit) OVER (), SUM(m.credit) OVER ()")
        # A slice past the last line returns no row, and so no totals: the aggregate query gives them.
        if found:
            count, debit, credit = found[0][-3:]
            self._summary = (int(count), sql.amount(debit), sql.amount(credit))
            self._read[offset] = (limit, [row[:-3] for row in found])

    def _fetch(self, offset: int, limit: int | None) -> list[StatementLine]:
        self._run_prefetch()
        read = self._read.get(offset)
        if read is not None and limit is not None and limit <= read[0]:
            rows = read[1][:limit]
        else:
            rows = self._query(offset, limit)
        if limit is None and self._summary is None:
            # Every line is read: their totals give the opening balance without the aggregate query.
            debit = sum((sql.amount(row[DEBIT]) for row in rows), ZERO)
            credit = sum((sql.amount(row[CREDIT]) for row in rows), ZERO)
            self._summary = (len(rows), debit, credit)
        opening = self.opening
        return [self._line(row, opening) for row in rows]

    def _query(self, offset: int, limit: int | None, totals: str = "") -> list[Any]:
        """Read the rows from ``offset``, each followed by the sum of the movements up to it, then by ``totals``."""
        columns = ", ".join("m.%s" % name for name in balances.LEDGER_COLUMNS)
        order = balances.LEDGER_ORDER
        extra = ", " + totals if totals else ""
        # The running sum covers the lines before the slice too: OFFSET applies after the window.
        query = (
            f"SELECT {columns}, SUM(m.debit - m.credit) OVER (ORDER BY {order} ROWS UNBOUNDED PRECEDING){extra} "  # noqa: S608
            f"FROM ({self.movements_sql}) m ORDER BY {order}"
        )
        params: list[Any] = list(self.movements_params)
        if limit is not None:
            query += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        return sql.fetch(query, params)

    def _line(self, row: Sequence[Any], opening: Decimal) -> StatementLine:
        *values, moved = row
        movement = balances.LedgerRow(*values)
        date = balances.as_date(movement.day)
        assert date is not None
        # One of debit and credit is zero, which the database returns without decimals: ZERO skips the rounding.
        debit = sql.amount(movement.debit) if movement.debit else ZERO
        credit = sql.amount(movement.credit) if movement.credit else ZERO
        balance = opening + sql.amount(moved)

        if movement.source == 1:
            is_refund = movement.code == ReceiptKind.REFUND
            return StatementLine(
                date=date,
                kind=EntryKind.REFUND if is_refund else EntryKind.RECEIPT,
                label=self._receipt_label(is_refund, movement.method or "", balances.as_date(movement.related_day)),
                reference=movement.reference,
                due_date=None,
                debit=debit,
                credit=credit,
                balance=balance,
                receipt_id=movement.id,
            )

        number = {"number": movement.number}
        if movement.code == CREDIT_NOTE:
            credited = {"number": movement.related_number}
            return StatementLine(
                date=date,
                kind=EntryKind.CREDIT_NOTE,
                label=self._templates["credit_note"] % number,
                reference=self._templates["credited"] % credited if movement.related_number else "",
                due_date=None,
                debit=debit,
                credit=credit,
                balance=balance,
                invoice_id=movement.id,
            )

        return StatementLine(
            date=date,
            kind=EntryKind.INVOICE,
            label=self._templates["invoice"] % number,
            reference=movement.reference,
            due_date=balances.as_date(movement.due_date),
            debit=debit,
            credit=credit,
            balance=balance,
            invoice_id=movement.id,
        )

    def _receipt_label(self, is_refund: bool, method: str, reversed_day: datetime.date | None) -> str:
        if reversed_day is not None:
            if is_refund:
                return _("Annulation du remboursement du %(date)s") % {"date": format_date(reversed_day)}
            return _("Annulation du règlement du %(date)s") % {"date": format_date(reversed_day)}
        label = self._labels.get((is_refund, method))
        if label is None:
            # A method no longer offered keeps its stored code.
            template = _("Remboursement par %(method)s") if is_refund else _("Règlement par %(method)s")
            label = template % {"method": method}
        return label


# Dashboard: expected receipts and payment history


def _average_delays(organisation: Any, currency: str) -> tuple[str, list[Any]]:
    """Return the SQL of (customer_id, delay): each customer's average days from due date to last payment.

    The average is over the customer's last invoices paid in full (``stored.HABIT_INVOICES``),
    kept on their account; a customer who never paid an invoice in full gets no row.
    """
    delay = sql.quotient("a.days_late_total", "a.settled_count")
    query = (
        f"SELECT a.customer_id AS customer_id, {delay} AS delay FROM {sql.table(CustomerAccount)} a "  # noqa: S608
        "WHERE a.organisation_id = %s AND a.currency = %s AND a.settled_count > 0"
    )
    return query, [organisation.pk, currency]


@dataclass(frozen=True)
class ExpectedWeek:
    """Money expected in one week (Monday to Sunday). The first week also includes what is already late."""

    start: datetime.date
    amount: Decimal
    count: int

    @property
    def end(self) -> datetime.date:
        return self.start + datetime.timedelta(days=6)


@dataclass(frozen=True)
class ExpectedReceipts:
    weeks: list[ExpectedWeek]
    later: Decimal  # expected after the last week
    currency: str


def expected_receipts(
    organisation: Any,
    today: datetime.date,
    weeks: int = 8,
    currency: str = DEFAULT_CURRENCY,
    current: bool | None = None,
) -> ExpectedReceipts:
    """Spread the open balances over the coming weeks, by due date moved by each customer's habit.

    An open invoice is expected on its due date plus its customer's average
    delay (days between due date and last payment, averaged over the
    customer's last 12 invoices paid in full, rounded; 0 without any).
    What was expected before this week, late invoices included, is counted in
    this week. The sum of every week and ``later`` is the open amount of the
    aging report on ``today``.

    When nothing is dated after ``today`` (``current``, found out when not
    given), the open balances and each one's delay are read from the stored
    balances alone. Otherwise the balances on ``today`` are computed and
    joined with the accounts' habits.
    """
    monday = today - datetime.timedelta(days=today.weekday())
    starts = [monday + datetime.timedelta(weeks=index) for index in range(weeks)]
    if current is None:
        current = balances.stored_is_current(organisation, today)
    if current:
        stored = sql.table(DocumentBalance)
        expected_on = sql.add_days("COALESCE(b.due_date, %s)", "b.expected_delay")
        # "<> 0" lets PostgreSQL use the partial index of the open balances.
        source = (
            f"{stored} b WHERE b.organisation_id = %s AND b.currency = %s AND b.is_credit_note = %s AND b.balance <> 0"
        )
        source_params: list[Any] = [organisation.pk, currency, False]
    else:
        balances_sql, balance_params = balances.invoice_balances(organisation, today, currency)
        delays_sql, delay_params = _average_delays(organisation, currency)
        expected_on = sql.add_days("COALESCE(b.due_date, %s)", "COALESCE(ROUND(d.delay), 0)")
        source = f"({balances_sql}) b LEFT JOIN ({delays_sql}) d ON d.customer_id = b.customer_id WHERE b.balance <> 0"
        source_params = [*balance_params, *delay_params]
    week_case = " ".join(f"WHEN e.expected_on < %s THEN {index}" for index in range(weeks))
    query = (
        f"SELECT CASE {week_case} ELSE {weeks} END AS week, SUM(e.balance), COUNT(*) FROM ("  # noqa: S608
        f"SELECT b.balance AS balance, {expected_on} AS expected_on FROM {source} "
        # Apart: merged into the outer query, each date would be computed again for every week.
        f"AND b.balance > 0 {sql.kept_apart()}"
        ") e GROUP BY 1"
    )
    week_ends = [start + datetime.timedelta(days=7) for start in starts]
    params = [*week_ends, today, *source_params]
    found = {int(week): (sql.amount(amount), int(count)) for week, amount, count in sql.fetch(query, params)}
    return ExpectedReceipts(
        weeks=[ExpectedWeek(start, *found.get(index, (ZERO, 0))) for index, start in enumerate(starts)],
        later=found.get(weeks, (ZERO, 0))[0],
        currency=currency,
    )


@dataclass(frozen=True)
class PaidInvoice:
    invoice_id: int
    number: str
    issue_date: datetime.date
    due_date: datetime.date | None
    paid_on: datetime.date
    amount: Decimal

    @property
    def days_to_pay(self) -> int:
        return (self.paid_on - self.issue_date).days

    @property
    def days_late(self) -> int:
        """Days between the due date and the payment: negative when paid early."""
        return (self.paid_on - self.due_date).days if self.due_date else 0


@dataclass(frozen=True)
class PaymentHistory:
    invoices: list[PaidInvoice]  # latest paid first
    average_delay: Decimal | None  # the delay ``expected_receipts`` uses for this customer


def payment_history(
    organisation: Any, customer_id: int, count: int = HABIT_INVOICES, currency: str = DEFAULT_CURRENCY
) -> PaymentHistory:
    """Return the customer's last invoices paid in full, with the days each took, and their average delay.

    An invoice settled partly by a credit note is left out: its last payment
    is not when the customer finished paying what they owed. The average is
    the one ``expected_receipts`` uses, kept on the customer's account.
    """
    settled = (
        DocumentBalance.objects.filter(
            organisation=organisation,
            customer_id=customer_id,
            currency=currency,
            paid=F("amount_due"),
            amount_due__gt=0,
            is_credit_note=False,
            last_paid_on__isnull=False,
        )
        .order_by("-last_paid_on", "-invoice_id")
        .values_list("invoice_id", "invoice__number", "issue_date", "due_date", "last_paid_on", "amount_due")
    )
    invoices = [
        PaidInvoice(
            invoice_id=invoice_id,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            paid_on=paid_on,
            amount=amount_due,
        )
        for invoice_id, number, issue_date, due_date, paid_on, amount_due in settled[:count]
    ]
    habit = (
        CustomerAccount.objects.filter(organisation=organisation, customer_id=customer_id, currency=currency)
        .values_list("settled_count", "days_late_total")
        .first()
    )
    average = None
    if habit and habit[0]:
        average = sql.amount(Decimal(habit[1]) / habit[0], 1)
    return PaymentHistory(invoices, average)
