"""The customer statement (relevé de compte): on screen, as CSV, XLSX and PDF, and sent by e-mail."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ardoise.core.csvfile import csv_response
from ardoise.core.views import current_organisation, get_scoped_or_404
from ardoise.core.xlsxfile import xlsx_response
from ardoise.customers.models import Customer
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.mailing.forms import InvoiceEmailForm, composed_initial, recipients_initial
from ardoise.mailing.models import DeliveryStatus
from ardoise.mailing.templating import compose_statement_email
from ardoise.pdf.render import StatementPdfError
from ardoise.reports import queries, services, tables
from ardoise.reports.forms import ReportFilters
from ardoise.reports.statement_pdf import statement_filename, statement_pdf
from ardoise.reports.views import MAX_PAGE, PAGE_SIZE, PAGES, filter_choices, sheet_of

PAGE = PAGES["statement"]

logger = logging.getLogger(__name__)


def _statement(organisation: Any, filters: ReportFilters) -> queries.Statement:
    assert filters.customer is not None
    return queries.statement(organisation, filters.customer, filters.period, filters.currency)


def _filters(request: HttpRequest, data: Any, customer: Customer | None = None) -> ReportFilters:
    if customer is not None:
        data = data.copy()
        data["client"] = str(customer.pk)
    return ReportFilters(
        data,
        organisation=current_organisation(request),
        today=timezone.localdate(),
        used=PAGE.used,
        default_preset=PAGE.default_preset,
        until_today=PAGE.until_today,
    )


@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    filters = _filters(request, request.GET)
    return _render(request, filters)


def _render(
    request: HttpRequest, filters: ReportFilters, email_form: InvoiceEmailForm | None = None, status: int = 200
) -> HttpResponse:
    organisation = current_organisation(request)
    context: dict[str, Any] = {"page": PAGE, "filters": filters, **filter_choices(request, filters)}
    if not filters.is_valid():
        return render(request, "reports/statement.html", context, status=400)
    if filters.customer is None:
        return render(request, "reports/statement.html", context, status=status)

    report = _statement(organisation, filters)
    export = request.GET.get("format", "")
    if export not in ("csv", "xlsx"):
        _prefetch_page(request, report)
    table = tables.statement_table(report)
    if export == "csv":
        return csv_response(table.filename + ".csv", table.header, table.export_rows())
    if export == "xlsx":
        return xlsx_response(table.filename + ".xlsx", [sheet_of(table)])

    if email_form is None:
        composed = compose_statement_email(organisation, report)
        email_form = InvoiceEmailForm(initial=recipients_initial(report.customer) | composed_initial(composed))
    # The screen shows the movements by pages, as the other reports do; the PDF and the exports list them all.
    rows = Paginator(table.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        {"statement": report, "table": table, "rows": rows, "query": filters.query_string(), "email_form": email_form}
    )
    return render(request, "reports/statement.html", context, status=status)


def _prefetch_page(request: HttpRequest, report: queries.Statement) -> None:
    """Name the lines of the page the screen shows, so that one query reads them with the count and the totals."""
    try:
        number = min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        number = 1
    # The opening balance is the first row of page 1, so page n starts at line (n - 1) × PAGE_SIZE − 1.
    start = max((number - 1) * PAGE_SIZE - 1, 0)
    report.lines.prefetch_page(start, number * PAGE_SIZE - 1 - start)


@require_GET
def statement_pdf_view(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_scoped_or_404(request, Customer, pk=customer_pk)
    filters = _filters(request, request.GET, customer)
    if not filters.is_valid():
        return _render(request, filters)
    report = _statement(current_organisation(request), filters)
    try:
        pdf = statement_pdf(current_organisation(request), report)
    except StatementPdfError as error:
        logger.exception("Statement PDF of customer %s failed", customer.pk)
        messages.error(request, _("%(error)s. Réessayez dans un instant.") % {"error": str(error).rstrip(".")})
        return _render(request, filters, status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=False, filename=statement_filename(report)) or ""
    )
    return response


@require_POST
def statement_send(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_scoped_or_404(request, Customer, pk=customer_pk)
    filters = _filters(request, request.POST, customer)
    form = InvoiceEmailForm(request.POST)
    if not filters.is_valid() or not form.is_valid():
        messages.error(request, _("Le relevé n'a pas été envoyé : corrigez les champs signalés."))
        return _render(request, filters, form, status=400)

    organisation = current_organisation(request)
    report = _statement(organisation, filters)
    data = form.cleaned_data
    try:
        outbound = services.send_statement(
            organisation,
            report,
            data["to"],
            data["subject"],
            data["body"],
            cc=data["cc"],
            bcc=data["bcc"],
            user=request.user,
            request=request,
        )
    except (InvoicingError, StatementPdfError) as error:
        messages.error(request, str(error))
        form.add_error(None, str(error))
        return _render(request, filters, form, status=400)
    if outbound.status == DeliveryStatus.FAILED:
        reason = _(
            "Le relevé n'a pas pu être envoyé. Réponse du serveur : %(reason)s. "
            "Vérifiez l'adresse et les réglages d'envoi, puis réessayez."
        ) % {"reason": outbound.error}
        messages.error(request, reason)
        form.add_error(None, reason)
        return _render(request, filters, form, status=400)
    if outbound.status == DeliveryStatus.SENT:
        messages.success(request, _("Le relevé de compte a été envoyé à %(to)s.") % {"to": outbound.to})
    return redirect(outbound)
