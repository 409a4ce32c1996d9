"""Report screens: an index, one page per report with its filters, and CSV and XLSX exports.

Every page reads its filters from the query string; ``?format=csv`` or
``?format=xlsx`` returns the same table as a file. Figures come from
``queries``, scoped to the current organisation, and a customer of another
organisation is refused by the filter form as an unknown customer.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ardoise.core.csvfile import csv_response
from ardoise.core.views import current_organisation
from ardoise.core.xlsxfile import Sheet, xlsx_response
from ardoise.customers.models import Customer
from ardoise.reports import queries, tables
from ardoise.reports.forms import ReportFilters, customer_label
from ardoise.reports.periods import Grouping, Preset

PAGE_SIZE = 50


@dataclass(frozen=True)
class ReportPage:
    """One report screen: what it shows, which filters it offers and how it builds its table."""

    name: str  # URL name
    title: Any
    summary: Any  # one sentence for the index
    used: tuple[str, ...]  # filters: "period", "as_of", "customer", "currency", "grouping"
    build: Callable[[Any, ReportFilters], tables.Table]
    default_preset: str = Preset.LAST_12_MONTHS
    groupings: Sequence[tuple[str, Any]] = tuple(Grouping.choices)
    explanation: Any = ""
    customer_tables: Callable[[Any, ReportFilters], list[tables.Table]] | None = field(default=None)
    until_today: bool = False  # preset periods end today at the latest


def _balances(organisation: Any, filters: ReportFilters) -> queries.BalanceReport:
    customer_id = filters.customer.pk if filters.customer else None
    report = queries.customer_balances(organisation, filters.as_of, filters.currency, customer_id)
    # The page the screen will show comes with the count and the totals, in one query.
    report.rows.prefetch_page(_page_offset(filters), PAGE_SIZE)
    return report


# No report has this many pages: a larger page number reads as the last page.
MAX_PAGE = 1_000_000


def _page_offset(filters: ReportFilters) -> int:
    """Return the offset of the page the screen asks for; the paginator handles pages out of range."""
    try:
        number = max(int(filters.data.get("page", 1)), 1)
    except ValueError:
        number = 1
    # A page far past the end shows the last one (the paginator's choice); the offset must stay an SQL integer.
    return (min(number, MAX_PAGE) - 1) * PAGE_SIZE


def _outstanding(organisation: Any, filters: ReportFilters) -> tables.Table:
    return tables.outstanding_table(_balances(organisation, filters))


def _outstanding_invoices(organisation: Any, filters: ReportFilters) -> list[tables.Table]:
    customer_id = filters.customer.pk if filters.customer else None
    invoices = queries.open_invoices(organisation, filters.as_of, filters.currency, customer_id)
    return [tables.open_invoices_table(invoices, filters.currency)]


def _aging(organisation: Any, filters: ReportFilters) -> tables.Table:
    return tables.aging_table(_balances(organisation, filters))


def _revenue(organisation: Any, filters: ReportFilters) -> tables.Table:
    customer_id = filters.customer.pk if filters.customer else None
    report = queries.revenue(organisation, filters.period, filters.grouping, customer_id)
    if isinstance(report.rows, queries.RevenueByCustomer):
        report.rows.prefetch_page(_page_offset(filters), PAGE_SIZE)
    return tables.revenue_table(report)


def _receipts(organisation: Any, filters: ReportFilters) -> tables.Table:
    customer_id = filters.customer.pk if filters.customer else None
    report = queries.receipts(organisation, filters.period, filters.grouping, filters.currency, customer_id)
    return tables.receipts_table(report)


def _dso(organisation: Any, filters: ReportFilters) -> tables.Table:
    customer_id = filters.customer.pk if filters.customer else None
    report = queries.days_sales_outstanding(organisation, filters.period, filters.currency, customer_id)
    return tables.dso_table(report)


def _statement(organisation: Any, filters: ReportFilters) -> tables.Table:
    assert filters.customer is not None
    report = queries.statement(organisation, filters.customer, filters.period, filters.currency)
    return tables.statement_table(report)


def _vat(organisation: Any, filters: ReportFilters) -> tables.Table:
    customer_id = filters.customer.pk if filters.customer else None
    return tables.vat_table(queries.vat_collected(organisation, filters.period, customer_id))


PAGES = {
    page.name: page
    for page in (
        ReportPage(
            name="outstanding",
            title=_("Encours clients"),
            summary=_("Ce que chaque client doit à une date : factures ouvertes, retards, avoirs et crédit client."),
            used=("as_of", "customer", "currency"),
            build=_outstanding,
            customer_tables=_outstanding_invoices,
            explanation=_(
                "Reste à payer : solde des factures ouvertes à la date choisie. À rembourser : ce que vous devez au "
                "client sur ses avoirs. Crédit client : sommes reçues qui ne règlent encore aucune facture. Solde "
                "net = reste à payer − à rembourser − crédit client."
            ),
        ),
        ReportPage(
            name="aging",
            title=_("Balance âgée"),
            summary=_(
                "Les factures ouvertes à une date, par ancienneté du retard : non échu, 1 à 30 jours… plus de 90."
            ),
            used=("as_of", "customer", "currency"),
            build=_aging,
            explanation=_(
                "Chaque facture ouverte est classée d'après le nombre de jours écoulés depuis son échéance à la date "
                "choisie. Les paiements, avoirs et encaissements datés après cette date ne sont pas pris en compte."
            ),
        ),
        ReportPage(
            name="revenue",
            title=_("Chiffre d'affaires"),
            summary=_(
                "Le chiffre d'affaires hors taxes par mois, trimestre, année, client ou article, avoirs déduits."
            ),
            used=("period", "customer", "grouping"),
            build=_revenue,
            groupings=tuple(queries.RevenueGrouping.CHOICES),
            explanation=_(
                "Factures émises sur la période, avoirs déduits, en euros : une facture en devise est convertie au "
                "taux de change indiqué sur la facture. Les brouillons ne comptent pas."
            ),
        ),
        ReportPage(
            name="receipts",
            title=_("Encaissements"),
            summary=_("L'argent reçu par période et par moyen de paiement, et les remboursements."),
            used=("period", "customer", "currency", "grouping"),
            build=_receipts,
            explanation=_(
                "Sommes reçues à leur date d'encaissement, qu'elles règlent une facture ou restent en crédit client. "
                "Une annulation compte en négatif à sa date. Les remboursements versés aux clients sont à part."
            ),
        ),
        ReportPage(
            name="dso",
            title=_("Délai moyen de paiement (DSO)"),
            summary=_(
                "Le nombre moyen de jours de chiffre d'affaires que représentent les sommes dues par vos clients."
            ),
            used=("period", "customer", "currency"),
            build=_dso,
        ),
        ReportPage(
            name="vat",
            title=_("TVA collectée"),
            summary=_("La TVA par taux sur les factures émises (débits) et sur les paiements reçus (encaissements)."),
            used=("period", "customer"),
            build=_vat,
            default_preset=Preset.LAST_MONTH,
            explanation=_(
                "Pour les prestations de services, la TVA est due à l'encaissement, sauf option pour les débits ; "
                "pour les ventes de biens, elle est due à la livraison. Déclarez la colonne qui correspond à votre "
                "régime."
            ),
        ),
        ReportPage(
            name="statement",
            title=_("Relevé de compte"),
            summary=_(
                "Pour un client : solde d'ouverture, factures, avoirs, règlements et remboursements, solde de "
                "clôture. En PDF, à envoyer par e-mail."
            ),
            used=("period", "customer", "currency"),
            build=_statement,
            default_preset=queries.STATEMENT_PRESET,
            until_today=True,
            explanation=_(
                "Le solde est ce que le client vous doit (négatif : ce que vous lui devez). Il tient compte des "
                "factures et avoirs émis, des sommes reçues, même non affectées à une facture, et des remboursements."
            ),
        ),
    )
}


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    pages = [*PAGES.values()]
    return render(request, "reports/index.html", {"pages": pages})


@require_GET
def outstanding(request: HttpRequest) -> HttpResponse:
    return report_page(request, PAGES["outstanding"])


@require_GET
def aging(request: HttpRequest) -> HttpResponse:
    return report_page(request, PAGES["aging"])


@require_GET
def revenue(request: HttpRequest) -> HttpResponse:
    return report_page(request, PAGES["revenue"])


@require_GET
def receipts(request: HttpRequest) -> HttpResponse:
    return report_page(request, PAGES["receipts"])


@require_GET
def dso(request: HttpRequest) -> HttpResponse:
    return report_page(request, PAGES["dso"])


@require_GET
def vat(request: HttpRequest) -> HttpResponse:
    return report_page(request, PAGES["vat"])


def filters_for(request: HttpRequest, page: ReportPage) -> ReportFilters:
    return ReportFilters(
        request.GET,
        organisation=current_organisation(request),
        today=timezone.localdate(),
        used=page.used,
        default_preset=page.default_preset,
        groupings=page.groupings,
        until_today=page.until_today,
    )


def report_page(request: HttpRequest, page: ReportPage) -> HttpResponse:
    organisation = current_organisation(request)
    filters = filters_for(request, page)
    context: dict[str, Any] = {"page": page, "filters": filters, **filter_choices(request, filters)}
    if not filters.is_valid():
        # Nothing is computed from filters that do not make sense, and the form explains what to fix.
        return render(request, "reports/report.html", context, status=400)

    table = page.build(organisation, filters)
    export = request.GET.get("format", "")
    if export == "csv":
        return csv_response(table.filename + ".csv", table.header, table.export_rows())
    if export == "xlsx":
        return xlsx_response(table.filename + ".xlsx", [sheet_of(table)])

    rows = Paginator(table.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        {
            "table": table,
            "rows": rows,
            "query": filters.query_string(),
            "extra_tables": page.customer_tables(organisation, filters)
            if page.customer_tables and filters.customer
            else [],
        }
    )
    return render(request, "reports/report.html", context)


def sheet_of(table: tables.Table) -> Sheet:
    return Sheet(
        title=table.title,
        header=table.header,
        rows=table.export_rows(),
        widths=[column.width for column in table.columns],
    )


def filter_choices(request: HttpRequest, filters: ReportFilters) -> dict[str, Any]:
    """Return what the filter form lists: the organisation's customers and currencies."""
    organisation = current_organisation(request)
    context: dict[str, Any] = {}
    if "customer" in filters.used:
        context.update(customer_choices(organisation, filters))
    if "currency" in filters.used:
        context["currencies"] = filters.currencies()
    return context


def customer_choices(organisation: Any, filters: ReportFilters) -> dict[str, Any]:
    """Return the <option> elements of the customer filter, or, for a long list, what its text field shows.

    The options are built as one string rather than by the template engine:
    it renders each option far more slowly than string formatting does. An
    organisation with more customers than ``forms.CUSTOMERS_LISTED`` gets a
    text field instead, where a name is typed (``forms.find_customer``). It
    shows a chosen customer with their number, so that sending the form
    again keeps the same customer.
    """
    chosen = filters.data.get("client", "")
    if filters.typed_customer:
        customer = filters.cleaned_data.get("client") if filters.is_valid() else None
        return {"customer_text": customer_label(customer) if customer else chosen}
    names = Customer.objects.filter(organisation=organisation).order_by("name", "id").values_list("pk", "name")
    options = [
        '<option value="%s"%s>%s</option>' % (pk, " selected" if str(pk) == chosen else "", html.escape(name))
        for pk, name in names
    ]
    # Every name is escaped above.
    return {"customer_options": mark_safe("".join(options))}
