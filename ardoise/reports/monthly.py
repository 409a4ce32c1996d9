"""Keep the monthly totals (``MonthlyRevenue``, ``MonthlyProductRevenue``, ``MonthlyVat`` …) exact.

Issued documents, payments and receipts are append-only, so each write adds
to the totals of its month and never takes anything away. The handlers in
``signals`` (and ``breakdowns.store_rows`` for the VAT rows) call the
``add_*`` functions in the transaction of the write. Each addition is one
``INSERT … ON CONFLICT DO UPDATE SET column = column + value``, which the
database applies atomically, so two writers never lose each other's amounts.

Every figure is computed here by the same functions for a whole history
(``rebuild``), for the part of a month that a report's period cuts
(``queries``), and for what one write adds, so that a report over months
equals the same report computed from the documents. ``rebuild`` rewrites an
organisation's totals from scratch (``ardoise report rebuild``);
``tests/reports/test_monthly.py`` checks that the totals kept up by random
writes equal a rebuild.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Count, DecimalField, PositiveIntegerField, Q, Sum
from django.db.models.functions import TruncMonth

from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.payments.models import Payment, Receipt
from ardoise.reports import sql
from ardoise.reports.models import (
    MonthlyInvoicing,
    MonthlyProductRevenue,
    MonthlyReceipts,
    MonthlyRevenue,
    MonthlyVat,
    RevenueRow,
    VatBreakdownRow,
)
from ardoise.reports.periods import Period, add_months, month_end, month_start

ZERO = Decimal("0.00")
CREDIT_NOTE = DocumentType.CREDIT_NOTE

# Figures per key; the keys and columns of each table.
Totals = dict[tuple[Any, ...], dict[str, Any]]
REVENUE_KEY = ("month", "currency", "converted")
REVENUE_FIGURES = ("documents", "invoiced", "credited", "vat")
PRODUCT_KEY = ("month", "kind", "product")
PRODUCT_FIGURES = ("documents", "invoiced", "credited")
VAT_KEY = ("month", "category", "rate")
DEBIT_FIGURES = ("debits_base", "debits_vat")
RECEIPT_SHARE_FIGURES = ("receipts_base", "receipts_vat")
INVOICING_KEY = ("month", "currency")
INVOICING_FIGURES = ("documents", "amount_due", "total_with_vat")
RECEIPTS_KEY = ("month", "currency", "kind", "method")
RECEIPTS_FIGURES = ("count", "amount", "bank_fees")


def month_of(day: Any) -> datetime.date:
    """Return the first day of the month of a date, or of a date read from a raw SQL row."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    if not isinstance(day, datetime.date):
        day = datetime.date.fromisoformat(str(day)[:10])
    return day.replace(day=1)


def add_to(totals: Totals, key: tuple[Any, ...], figures: Mapping[str, Any]) -> None:
    row = totals.setdefault(key, {})
    for name, value in figures.items():
        if isinstance(value, int):
            row[name] = row.get(name, 0) + value
        else:
            row[name] = row.get(name, ZERO) + sql.amount(value)


# Figures from the documents, payments and receipts


def revenue_from_rows(organisation_id: int, rows: Q | None = None) -> Totals:
    """Return the ``MonthlyRevenue`` figures of the organisation's VAT rows (all, or those ``rows`` selects)."""
    found = VatBreakdownRow.objects.filter(organisation_id=organisation_id)
    if rows is not None:
        found = found.filter(rows)
    totals: Totals = {}
    for converted, net, vat in (
        (True, "taxable_amount_eur", "tax_amount_eur"),
        (False, "taxable_amount", "tax_amount"),
    ):
        per_month = (
            found.filter(taxable_amount_eur__isnull=not converted)
            .order_by()
            .annotate(month=TruncMonth("issue_date"))
            .values("month", "currency")
            .annotate(
                documents=Count("invoice", distinct=True),
                invoiced=Sum(net, filter=Q(is_credit_note=False)),
                credited=Sum(net, filter=Q(is_credit_note=True)),
                vat=Sum(vat),
            )
        )
        for found_row in per_month:
            row = cast(dict[str, Any], found_row)
            figures = {name: row[name] for name in REVENUE_FIGURES}
            add_to(totals, (month_of(row["month"]), row["currency"], converted), figures)
    return totals


def products_from_rows(organisation_id: int, rows: Q | None = None) -> Totals:
    """Return the ``MonthlyProductRevenue`` figures of the organisation's revenue rows in euros."""
    found = RevenueRow.objects.filter(organisation_id=organisation_id, net_amount_eur__isnull=False)
    if rows is not None:
        found = found.filter(rows)
    per_month = (
        found.order_by()
        .annotate(month=TruncMonth("issue_date"))
        .values("month", "kind", "product_id")
        .annotate(
            documents=Count("invoice", distinct=True),
            invoiced=Sum("net_amount_eur", filter=Q(is_credit_note=False)),
            credited=Sum("net_amount_eur", filter=Q(is_credit_note=True)),
        )
    )
    totals: Totals = {}
    for found_row in per_month:
        row = cast(dict[str, Any], found_row)
        figures = {name: row[name] for name in PRODUCT_FIGURES}
        add_to(totals, (month_of(row["month"]), row["kind"], row["product_id"] or 0), figures)
    return totals


def debits_from_rows(organisation_id: int, rows: Q | None = None) -> Totals:
    """Return the débits columns of ``MonthlyVat``: the VAT rows in euros, per month of issue and rate."""
    found = VatBreakdownRow.objects.filter(organisation_id=organisation_id, tax_amount_eur__isnull=False)
    if rows is not None:
        found = found.filter(rows)
    per_month = (
        found.order_by()
        .annotate(month=TruncMonth("issue_date"))
        .values("month", "category", "rate")
        .annotate(debits_base=Sum("taxable_amount_eur"), debits_vat=Sum("tax_amount_eur"))
    )
    totals: Totals = {}
    for found_row in per_month:
        row = cast(dict[str, Any], found_row)
        figures = {name: row[name] for name in DEBIT_FIGURES}
        add_to(totals, (month_of(row["month"]), row["category"], sql.amount(row["rate"])), figures)
    return totals


def invoicing_from_documents(organisation_id: int, documents: Q | None = None) -> Totals:
    """Return the ``MonthlyInvoicing`` figures of the organisation's issued documents (all, or those selected)."""
    found = Invoice.objects.filter(organisation_id=organisation_id, status=InvoiceStatus.ISSUED)
    if documents is not None:
        found = found.filter(documents)
    is_credit_note = Q(type_code=CREDIT_NOTE)
    per_month = (
        found.order_by()
        .annotate(month=TruncMonth("issue_date"))
        .values("month", "currency")
        .annotate(
            documents=Count("pk"),
            due=Sum("amount_due", filter=~is_credit_note),
            due_back=Sum("amount_due", filter=is_credit_note),
            total=Sum("total_with_vat", filter=~is_credit_note),
            total_back=Sum("total_with_vat", filter=is_credit_note),
        )
    )
    totals: Totals = {}
    for row in per_month:
        figures = {
            "documents": row["documents"],
            "amount_due": sql.amount(row["due"]) - sql.amount(row["due_back"]),
            "total_with_vat": sql.amount(row["total"]) - sql.amount(row["total_back"]),
        }
        add_to(totals, (month_of(row["month"]), row["currency"]), figures)
    return totals


def receipts_from_source(organisation_id: int, receipts: Q | None = None) -> Totals:
    """Return the ``MonthlyReceipts`` figures of the organisation's receipts (all, or those ``receipts`` selects)."""
    found = Receipt.objects.filter(organisation_id=organisation_id)
    if receipts is not None:
        found = found.filter(receipts)
    per_month = (
        found.order_by()
        .annotate(month=TruncMonth("date"))
        .values("month", "currency", "kind", "method")
        .annotate(count=Count("pk"), amount=Sum("amount"), bank_fees=Sum("bank_fees"))
    )
    totals: Totals = {}
    for found_row in per_month:
        row = cast(dict[str, Any], found_row)
        figures = {name: row[name] for name in RECEIPTS_FIGURES}
        add_to(totals, (month_of(row["month"]), row["currency"], row["kind"], row["method"]), figures)
    return totals


def receipt_shares(
    organisation_id: int, invoice_ids: Iterable[int] | None = None, leave_out_payment: int | None = None
) -> Totals:
    """Return the encaissements columns of ``MonthlyVat``: per month, the VAT share its payments paid.

    For each document and each month with payments on it, the share of a
    VAT row is round(VAT × paid by the end of the month ÷ total) − round(VAT
    × paid before the month ÷ total), rounded by ``sql.vat_share``. Over the
    months of a period these shares add up to what
    ``queries._vat_on_receipts`` computes for the whole period.
    ``invoice_ids`` limits the documents; ``leave_out_payment`` computes the
    shares as they were before that payment was recorded.
    """
    payment, vat_row, invoice = sql.table(Payment), sql.table(VatBreakdownRow), sql.table(Invoice)
    filters = ""
    params: list[Any] = [organisation_id]
    if invoice_ids is not None:
        ids = sorted(set(invoice_ids))
        if not ids:
            return {}
        filters += " AND p.invoice_id IN (%s)" % ", ".join(["%s"] * len(ids))
        params += ids
    if leave_out_payment is not None:
        filters += " AND p.id <> %s"
        params.append(leave_out_payment)
    month = sql.month_start("p.date")
    # The fragments are table names and SQL built here, and every value is a parameter.
    per_month = (
        f"SELECT p.invoice_id AS invoice_id, {month} AS month, SUM(p.amount) AS paid "  # noqa: S608
        f"FROM {payment} p WHERE p.organisation_id = %s{filters} GROUP BY p.invoice_id, {month}"
    )
    running = (
        "SELECT m.invoice_id AS invoice_id, m.month AS month, "  # noqa: S608
        "SUM(m.paid) OVER (PARTITION BY m.invoice_id ORDER BY m.month ROWS UNBOUNDED PRECEDING) AS paid_through "
        f"FROM ({per_month}) m"
    )
    steps = (
        "SELECT r.invoice_id AS invoice_id, r.month AS month, r.paid_through AS paid_through, "  # noqa: S608
        "COALESCE(LAG(r.paid_through) OVER (PARTITION BY r.invoice_id ORDER BY r.month), 0) AS paid_before "
        f"FROM ({running}) r"
    )
    base = "(%s) - (%s)" % (
        sql.vat_share("v.taxable_amount_eur", "s.paid_through"),
        sql.vat_share("v.taxable_amount_eur", "s.paid_before"),
    )
    vat = "(%s) - (%s)" % (
        sql.vat_share("v.tax_amount_eur", "s.paid_through"),
        sql.vat_share("v.tax_amount_eur", "s.paid_before"),
    )
    query = (
        f"SELECT s.month, v.category, v.rate, SUM({base}), SUM({vat}) "  # noqa: S608
        f"FROM ({steps}) s INNER JOIN {vat_row} v ON v.invoice_id = s.invoice_id "
        f"INNER JOIN {invoice} i ON i.id = s.invoice_id "
        "WHERE v.tax_amount_eur IS NOT NULL AND i.total_with_vat > 0 "
        "GROUP BY s.month, v.category, v.rate"
    )
    totals: Totals = {}
    for month_value, category, rate, base_cents, vat_cents in sql.fetch(query, params):
        figures = {
            "receipts_base": Decimal(int(base_cents)).scaleb(-2),
            "receipts_vat": Decimal(int(vat_cents)).scaleb(-2),
        }
        add_to(totals, (month_of(month_value), category, sql.amount(rate)), figures)
    return totals


# Additions, in the transaction of each write


def add_documents(invoices: Iterable[Invoice]) -> None:
    """Add documents whose VAT rows were just written: their revenue, débits, and the VAT their payments paid.

    A document gets its VAT rows once (``breakdowns.store_rows``), so this
    runs once per document. Payments exist already only for a document whose
    rows are written late (``fill_missing``).
    """
    per_organisation: dict[int, list[int]] = defaultdict(list)
    for invoice in invoices:
        per_organisation[invoice.organisation_id].append(invoice.pk)
    for organisation_id, ids in per_organisation.items():
        rows = Q(invoice_id__in=ids)
        _write_additions(MonthlyRevenue, organisation_id, REVENUE_KEY, revenue_from_rows(organisation_id, rows))
        products = products_from_rows(organisation_id, rows)
        _write_additions(MonthlyProductRevenue, organisation_id, PRODUCT_KEY, products)
        _write_additions(MonthlyVat, organisation_id, VAT_KEY, debits_from_rows(organisation_id, rows))
        if Payment.objects.filter(invoice_id__in=ids).exists():
            _write_additions(MonthlyVat, organisation_id, VAT_KEY, receipt_shares(organisation_id, ids))


def add_issued(invoice: Invoice) -> None:
    """Add an issued document to the totals of its month of issue."""
    totals = invoicing_from_documents(invoice.organisation_id, Q(pk=invoice.pk))
    _write_additions(MonthlyInvoicing, invoice.organisation_id, INVOICING_KEY, totals)


def add_receipt(receipt: Receipt) -> None:
    totals = receipts_from_source(receipt.organisation_id, Q(pk=receipt.pk))
    _write_additions(MonthlyReceipts, receipt.organisation_id, RECEIPTS_KEY, totals)


def add_payment(payment: Payment) -> None:
    """Add what a new payment changes in the VAT paid each month on its document.

    The payment can change the rounded share of later months too, so the
    document's shares are computed with and without it, and the difference added.
    """
    after = receipt_shares(payment.organisation_id, [payment.invoice_id])
    before = receipt_shares(payment.organisation_id, [payment.invoice_id], leave_out_payment=payment.pk)
    change: Totals = {}
    for key in set(after) | set(before):
        new, old = after.get(key, {}), before.get(key, {})
        figures = {name: new.get(name, ZERO) - old.get(name, ZERO) for name in RECEIPT_SHARE_FIGURES}
        if any(figures.values()):
            change[key] = figures
    _write_additions(MonthlyVat, payment.organisation_id, VAT_KEY, change)


def _write_additions(model: Any, organisation_id: int, key_names: tuple[str, ...], totals: Totals) -> None:
    """Add ``totals`` to the rows of ``model``, inserting the rows that do not exist yet."""
    if not totals:
        return
    table = sql.table(model)
    quote = connection.ops.quote_name
    for key, figures in totals.items():
        names = list(figures)
        columns = ["organisation_id", *key_names, *names]
        conflict = ", ".join(quote(name) for name in ["organisation_id", *key_names])
        updates = ", ".join(f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}" for name in names)
        query = (
            f"INSERT INTO {table} ({', '.join(quote(name) for name in columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, [organisation_id, *key, *(figures[name] for name in names)])


# Rebuild


def rebuild(organisation: Any) -> None:
    """Rewrite the organisation's monthly totals from the documents, payments and receipts."""
    with transaction.atomic():
        for model in (MonthlyRevenue, MonthlyProductRevenue, MonthlyVat, MonthlyInvoicing, MonthlyReceipts):
            model.objects.filter(organisation_id=organisation.pk).delete()
        pk = organisation.pk
        _create(MonthlyRevenue, organisation, REVENUE_KEY, REVENUE_FIGURES, revenue_from_rows(pk))
        _create(MonthlyProductRevenue, organisation, PRODUCT_KEY, PRODUCT_FIGURES, products_from_rows(pk))
        vat: Totals = defaultdict(dict)
        for totals in (debits_from_rows(pk), receipt_shares(pk)):
            for key, figures in totals.items():
                vat[key].update(figures)
        _create(MonthlyVat, organisation, VAT_KEY, DEBIT_FIGURES + RECEIPT_SHARE_FIGURES, vat)
        _create(MonthlyInvoicing, organisation, INVOICING_KEY, INVOICING_FIGURES, invoicing_from_documents(pk))
        _create(MonthlyReceipts, organisation, RECEIPTS_KEY, RECEIPTS_FIGURES, receipts_from_source(pk))


def _create(
    model: Any, organisation: Any, key_names: tuple[str, ...], figure_names: tuple[str, ...], totals: Totals
) -> None:
    rows = []
    for key, figures in totals.items():
        values = {name: figures.get(name, 0 if name in ("documents", "count") else ZERO) for name in figure_names}
        rows.append(model(organisation_id=organisation.pk, **dict(zip(key_names, key, strict=True)), **values))
    model.objects.bulk_create(rows, batch_size=1000)


# Reading the totals of a period


def split_period(period: Period) -> tuple[Period | None, list[Period]]:
    """Split a period into its whole months, as one period, and the parts of the months it cuts.

    The whole months are read from the monthly totals; the parts, at most
    two, are computed from the documents as a rebuild computes them.
    """
    day = datetime.timedelta(days=1)
    first = period.start if period.start.day == 1 else add_months(period.start, 1)
    last = period.end if period.end == month_end(period.end) else month_start(period.end) - day
    if first > last:
        return None, [period]
    parts = []
    if period.start < first:
        parts.append(Period(period.start, first - day))
    if last < period.end:
        parts.append(Period(last + day, period.end))
    return Period(first, last), parts


def read_totals(model: Any, organisation: Any, months: Period, key_names: tuple[str, ...], **filters: Any) -> Totals:
    """Return the rows of ``model`` for the months of ``months``, keyed by ``key_names`` (month first)."""
    figures = [
        field.name for field in model._meta.concrete_fields if isinstance(field, (DecimalField, PositiveIntegerField))
    ]
    figures = [name for name in figures if name not in key_names]
    rows = model.objects.filter(
        organisation=organisation, month__gte=months.start, month__lte=months.end, **filters
    ).values(*key_names, *figures)
    totals: Totals = {}
    for row in rows:
        key = tuple(month_of(row[name]) if name == "month" else row[name] for name in key_names)
        add_to(totals, key, {name: row[name] for name in figures})
    return totals


def issued_documents(organisation: Any) -> int:
    """Return how many documents the organisation has issued, from ``MonthlyInvoicing``."""
    total = MonthlyInvoicing.objects.filter(organisation=organisation).aggregate(total=Sum("documents"))["total"]
    return total or 0


KEYS = {
    MonthlyRevenue: REVENUE_KEY,
    MonthlyProductRevenue: PRODUCT_KEY,
    MonthlyVat: VAT_KEY,
    MonthlyInvoicing: INVOICING_KEY,
    MonthlyReceipts: RECEIPTS_KEY,
}


def period_totals(
    model: Any, organisation: Any, period: Period, compute: Any, date_field: str, **filters: Any
) -> Totals:
    """Return the totals of ``model`` for each month of the period, keyed as the model is.

    The whole months come from the table. The parts of the months that the
    period cuts come from ``compute``, one of the functions above, called with
    the organisation's id and a filter on ``date_field``. ``filters`` narrow
    both, e.g. ``currency="EUR"``.
    """
    full, parts = split_period(period)
    totals = read_totals(model, organisation, full, KEYS[model], **filters) if full else {}
    for part in parts:
        source = Q(**{date_field + "__gte": part.start, date_field + "__lte": part.end}, **filters)
        for key, figures in compute(organisation.pk, source).items():
            add_to(totals, key, figures)
    return totals


def fill_missing_rows(organisation: Any) -> None:
    """Write the VAT rows of issued documents that have none, in the months where the totals show some.

    A month counts its issued documents in ``MonthlyInvoicing`` (from the
    invoices) and in ``MonthlyRevenue`` (from their VAT rows): they differ
    only when rows are missing, for documents issued before the report tables
    existed. One small query when nothing is missing, instead of looking for
    documents without rows in every report. It returns the months of
    ``MonthlyInvoicing`` whose counts differ.
    """
    from ardoise.reports.breakdowns import fill_missing

    query = (
        "SELECT m.month FROM ("  # noqa: S608
        f"SELECT i.month AS month, 1 AS invoicing, i.documents AS issued, 0 AS with_rows "
        f"FROM {sql.table(MonthlyInvoicing)} i WHERE i.organisation_id = %s "
        f"UNION ALL SELECT r.month, 0, 0, r.documents FROM {sql.table(MonthlyRevenue)} r WHERE r.organisation_id = %s"
        ") m GROUP BY m.month HAVING MAX(m.invoicing) = 1 AND SUM(m.issued) <> SUM(m.with_rows) ORDER BY m.month"
    )
    for (month,) in sql.fetch(query, [organisation.pk, organisation.pk]):
        month = month_of(month)
        fill_missing(organisation, issued_between=(month, month_end(month)))
