"""Each report as a table: columns with a French label and a kind, rows of typed values.

The screen, the CSV and XLSX exports and the command line all print these
tables, so that a figure reads the same everywhere. Values stay typed
(Decimal, date, int, str) until the very end: the screen formats them the
French way, the CSV with decimal commas, the XLSX as numbers and dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, overload

from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ardoise.core.formats import format_date, format_rate
from ardoise.payments.models import PaymentMethod
from ardoise.pdf.context import RATED_CATEGORIES
from ardoise.pdf.labels import vat_category
from ardoise.reports import queries


class Kind:
    TEXT = "text"
    AMOUNT = "amount"
    DATE = "date"
    COUNT = "count"
    DAYS = "days"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = Kind.AMOUNT
    width: int = 14  # characters, for the XLSX column and the command line


@dataclass(frozen=True)
class Row:
    cells: tuple[Any, ...]
    url: str = ""  # the page the first cell links to on screen


class LazyRows(Sequence[Row]):
    """Rows made from a report's lazy sequence (``queries.BalanceRows``) only for the items read.

    The screen slices one page out of it, so only fifty rows are read and
    built; the exports iterate it whole.
    """

    def __init__(self, items: Sequence[Any], make_row: Callable[[Any], Row]) -> None:
        self.items = items
        self.make_row = make_row

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self.make_row(item) for item in self.items[index]]
        return self.make_row(self.items[index])

    def __iter__(self) -> Iterator[Row]:
        return (self.make_row(item) for item in self.items)


class FirstRowThen(Sequence[Row]):
    """A fixed first row (a statement's opening balance), then lazy rows, sliced without reading the others."""

    def __init__(self, first: Row, rest: Sequence[Row]) -> None:
        self.first = first
        self.rest = rest

    def __len__(self) -> int:
        return 1 + len(self.rest)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, int):
            position = index + len(self) if index < 0 else index
            if position == 0:
                return self.first
            if position < 0:
                raise IndexError(index)
            return self.rest[position - 1]
        start, stop, step = index.indices(len(self))
        if step != 1:
            return list(self)[index]
        head = [self.first] if start == 0 < stop else []
        return head + list(self.rest[max(start - 1, 0) : max(stop - 1, 0)])

    def __iter__(self) -> Iterator[Row]:
        yield self.first
        yield from self.rest


@dataclass(frozen=True)
class Table:
    """A report ready to print. ``currency`` is the currency of the amount columns."""

    title: str
    filename: str  # without extension
    columns: tuple[Column, ...]
    rows: Sequence[Row]
    total: Row | None
    currency: str = "EUR"
    notes: list[str] = field(default_factory=list)
    link_column: int = 0  # the column whose cell links to the row's ``url``

    @property
    def header(self) -> list[str]:
        return [column.label for column in self.columns]

    def export_rows(self) -> list[tuple[Any, ...]]:
        """Return every row, then the total row, as exported to CSV and XLSX."""
        rows = [row.cells for row in self.rows]
        if self.total is not None:
            rows.append(self.total.cells)
        return rows


URL_PLACEHOLDER = 987654321


def _customer_url(customer_id: int | None) -> str:
    return _detail_url("customers:detail", customer_id)


def _detail_url(name: str, pk: int | None) -> str:
    """Return the URL of one object's page; resolved once per name, as a report lists thousands of them."""
    if not pk:
        return ""
    # The script prefix is per request (or per thread in tests), so the pattern is resolved for each call's prefix.
    key = (name, get_script_prefix())
    pattern = _URL_PATTERNS.get(key)
    if pattern is None:
        pattern = _URL_PATTERNS[key] = reverse(name, args=[URL_PLACEHOLDER])
    return pattern.replace(str(URL_PLACEHOLDER), str(int(pk)))


_URL_PATTERNS: dict[tuple[str, str], str] = {}


# Balances


def outstanding_table(report: queries.BalanceReport) -> Table:
    columns = (
        Column(_("Client"), Kind.TEXT, 36),
        Column(_("Factures ouvertes"), Kind.COUNT, 10),
        Column(_("Plus ancienne échéance"), Kind.DATE, 12),
        Column(_("Reste à payer")),
        Column(_("Dont en retard")),
        Column(_("À rembourser (avoirs)")),
        Column(_("Crédit client")),
        Column(_("Solde net")),
    )

    def cells(row: queries.CustomerBalance) -> tuple[Any, ...]:
        return (
            row.customer_name,
            row.open_count,
            row.oldest_due_date,
            row.open_amount,
            row.overdue,
            row.owed_to_customer,
            row.credit,
            row.net,
        )

    return Table(
        title=_("Encours clients au %(date)s") % {"date": format_date(report.as_of)},
        filename="encours-%s" % report.as_of.isoformat(),
        columns=columns,
        rows=LazyRows(report.rows, lambda row: Row(cells(row), _customer_url(row.customer_id))),
        total=Row(cells(report.total)),
        currency=report.currency,
    )


def aging_table(report: queries.BalanceReport) -> Table:
    columns = (
        Column(_("Client"), Kind.TEXT, 36),
        Column(_("Non échu")),
        Column(_("1 à 30 jours")),
        Column(_("31 à 60 jours")),
        Column(_("61 à 90 jours")),
        Column(_("Plus de 90 jours")),
        Column(_("Total des factures")),
        Column(_("À rembourser (avoirs)")),
        Column(_("Crédit client")),
        Column(_("Solde net")),
    )

    def cells(row: queries.CustomerBalance) -> tuple[Any, ...]:
        return (
            row.customer_name,
            row.not_due,
            row.days_1_30,
            row.days_31_60,
            row.days_61_90,
            row.over_90,
            row.open_amount,
            row.owed_to_customer,
            row.credit,
            row.net,
        )

    return Table(
        title=_("Balance âgée au %(date)s") % {"date": format_date(report.as_of)},
        filename="balance-agee-%s" % report.as_of.isoformat(),
        columns=columns,
        rows=LazyRows(report.rows, lambda row: Row(cells(row), _customer_url(row.customer_id))),
        total=Row(cells(report.total)),
        currency=report.currency,
    )


def open_invoices_table(rows: list[queries.OpenInvoice], currency: str) -> Table:
    columns = (
        Column(_("Facture"), Kind.TEXT, 16),
        Column(_("Client"), Kind.TEXT, 30),
        Column(_("Émise le"), Kind.DATE, 12),
        Column(_("Échéance"), Kind.DATE, 12),
        Column(_("Total TTC")),
        Column(_("Reste à payer")),
        Column(_("Jours de retard"), Kind.COUNT, 10),
    )
    return Table(
        title=_("Factures ouvertes"),
        filename="factures-ouvertes",
        columns=columns,
        rows=[
            Row(
                (
                    row.number,
                    row.customer_name,
                    row.issue_date,
                    row.due_date,
                    row.total_with_vat,
                    row.balance,
                    row.days_overdue,
                ),
                _detail_url("invoicing:detail", row.invoice_id),
            )
            for row in rows
        ],
        total=None,
        currency=currency,
    )


# Revenue, receipts, DSO, VAT


def revenue_table(report: queries.RevenueReport) -> Table:
    by_product = report.grouping == queries.RevenueGrouping.PRODUCT
    first = {
        queries.RevenueGrouping.CUSTOMER: _("Client"),
        queries.RevenueGrouping.PRODUCT: _("Article"),
    }.get(report.grouping, _("Période"))
    columns = [
        Column(first, Kind.TEXT, 32),
        Column(_("Documents"), Kind.COUNT, 10),
        Column(_("Facturé HT")),
        Column(_("Avoirs HT")),
        Column(_("Chiffre d'affaires HT")),
    ]
    if not by_product:
        columns += [Column(pgettext("column", "TVA")), Column(_("Chiffre d'affaires TTC"))]

    def cells(line: queries.RevenueLine) -> tuple[Any, ...]:
        values: tuple[Any, ...] = (line.label, line.documents, line.invoiced, line.credited, line.net)
        return values if by_product else (*values, line.vat, line.with_vat)

    def url(line: queries.RevenueLine) -> str:
        return _customer_url(line.key) if report.grouping == queries.RevenueGrouping.CUSTOMER else ""

    notes = [
        _("%(count)s document(s) en %(currency)s sans taux de change ne sont pas comptés : %(net)s %(currency)s HT.")
        % {"count": item.documents, "currency": item.currency, "net": item.net}
        for item in report.unconverted
    ]
    return Table(
        title=_("Chiffre d'affaires %(period)s") % {"period": report.period},
        filename="chiffre-affaires-%s-%s" % (report.period.start.isoformat(), report.period.end.isoformat()),
        columns=tuple(columns),
        rows=LazyRows(report.rows, lambda line: Row(cells(line), url(line))),
        total=Row(cells(report.total)),
        notes=notes,
    )


METHOD_LABELS = dict(PaymentMethod.choices)


def receipts_table(report: queries.ReceiptsReport) -> Table:
    columns = (
        Column(_("Période"), Kind.TEXT, 18),
        Column(_("Opérations"), Kind.COUNT, 10),
        *(Column(str(METHOD_LABELS[method])) for method in queries.RECEIVED_METHODS),
        Column(_("Total encaissé")),
        Column(_("Frais bancaires")),
        Column(_("Remboursements")),
        Column(_("Net")),
    )

    def cells(line: queries.ReceiptsLine) -> tuple[Any, ...]:
        return (
            line.label,
            line.count,
            *(line.by_method[method] for method in queries.RECEIVED_METHODS),
            line.received,
            line.bank_fees,
            line.refunds,
            line.net,
        )

    return Table(
        title=_("Encaissements %(period)s") % {"period": report.period},
        filename="encaissements-%s-%s" % (report.period.start.isoformat(), report.period.end.isoformat()),
        columns=columns,
        rows=[Row(cells(line)) for line in report.rows],
        total=Row(cells(report.total)),
        currency=report.currency,
    )


def dso_table(report: queries.DsoReport) -> Table:
    columns = (
        Column(_("Période"), Kind.TEXT, 18),
        Column(_("Du"), Kind.DATE, 12),
        Column(_("Au"), Kind.DATE, 12),
        Column(_("Jours"), Kind.COUNT, 8),
        Column(_("Encours clients en fin de période")),
        Column(_("Chiffre d'affaires TTC")),
        Column(_("DSO (jours)"), Kind.DAYS, 10),
    )

    def cells(line: queries.DsoLine) -> tuple[Any, ...]:
        return (line.label, line.start, line.end, line.days, line.receivables, line.revenue_with_vat, line.dso)

    return Table(
        title=_("Délai moyen de paiement (DSO) %(period)s") % {"period": report.period},
        filename="dso-%s-%s" % (report.period.start.isoformat(), report.period.end.isoformat()),
        columns=columns,
        rows=[Row(cells(line)) for line in report.rows],
        total=Row(cells(report.total)),
        currency=report.currency,
        notes=[
            _(
                "DSO = encours clients en fin de période ÷ chiffre d'affaires TTC de la période × nombre de jours "
                "de la période. L'encours est le solde net de la balance âgée à cette date (factures, moins avoirs, "
                "moins encaissements, plus remboursements) ; sans chiffre d'affaires, le DSO n'est pas calculé."
            )
        ],
    )


def vat_rate_label(category: str, rate: Decimal | None) -> str:
    if rate is None:
        return _("Total")
    if category in RATED_CATEGORIES or not category:
        return format_rate(rate)
    return "%s (%s)" % (vat_category(category), format_rate(rate))


def vat_table(report: queries.VatReport) -> Table:
    columns = (
        Column(_("Taux"), Kind.TEXT, 22),
        Column(_("Base HT sur les débits")),
        Column(_("TVA sur les débits")),
        Column(_("Base HT sur les encaissements")),
        Column(_("TVA sur les encaissements")),
    )

    def cells(line: queries.VatLine) -> tuple[Any, ...]:
        return (
            vat_rate_label(line.category, line.rate),
            line.debits_base,
            line.debits_vat,
            line.receipts_base,
            line.receipts_vat,
        )

    notes = [
        _(
            "Débits : TVA des factures et avoirs émis sur la période. Encaissements : pour chaque paiement reçu sur "
            "la période, la part de TVA de la facture qu'il règle (TVA de la facture × montant payé ÷ total TTC), "
            "un remboursement d'avoir venant en déduction. Montants en euros."
        )
    ]
    notes += [
        _("%(count)s document(s) en %(currency)s sans taux de change ne sont pas comptés : TVA %(vat)s %(currency)s.")
        % {"count": item.documents, "currency": item.currency, "vat": item.vat}
        for item in report.unconverted
    ]
    return Table(
        title=_("TVA collectée %(period)s") % {"period": report.period},
        filename="tva-collectee-%s-%s" % (report.period.start.isoformat(), report.period.end.isoformat()),
        columns=columns,
        rows=[Row(cells(line)) for line in report.rows],
        total=Row(cells(report.total)),
        notes=notes,
    )


# Customer statement


def statement_table(statement: queries.Statement) -> Table:
    columns = (
        Column(_("Date"), Kind.DATE, 12),
        Column(_("Opération"), Kind.TEXT, 34),
        Column(_("Référence"), Kind.TEXT, 24),
        Column(_("Échéance"), Kind.DATE, 12),
        Column(_("Débit")),
        Column(_("Crédit")),
        Column(_("Solde")),
    )
    start = statement.period.start
    opening = Row((start, _("Solde à l'ouverture"), "", None, None, None, statement.opening_balance))

    def row(line: queries.StatementLine) -> Row:
        cells = (line.date, line.label, line.reference, line.due_date, line.debit or None, line.credit or None)
        return Row((*cells, line.balance), _detail_url("invoicing:detail", line.invoice_id))

    rows = FirstRowThen(opening, LazyRows(statement.lines, row))
    total = Row(
        (
            statement.period.end,
            _("Solde à la clôture"),
            "",
            None,
            statement.total_debit,
            statement.total_credit,
            statement.closing_balance,
        )
    )
    return Table(
        title=_("Relevé de compte de %(customer)s %(period)s")
        % {"customer": statement.customer.name, "period": statement.period},
        filename="releve-%s-%s" % (statement.customer.pk, statement.period.end.isoformat()),
        columns=columns,
        rows=rows,
        total=total,
        currency=statement.currency,
        link_column=1,
    )
