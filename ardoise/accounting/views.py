"""The accounting page: download the FEC of a fiscal year, check a FEC file, and set the accounts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.accounting import fec
from ardoise.accounting.entries import AccountingError, FiscalYear, build_entries, settings_of
from ardoise.accounting.forms import (
    CheckForm,
    CustomerAccountFormSet,
    ExportForm,
    JournalForm,
    ProductAccountFormSet,
    SettingsForm,
    VatRateFormSet,
)
from ardoise.accounting.layouts import GENERIC, journal_file
from ardoise.accounting.models import CustomerAccount, ProductAccount, VatRateAccounts
from ardoise.accounting.services import export_fec
from ardoise.accounts.views import is_owner
from ardoise.audit.services import form_changes, record
from ardoise.core.views import current_organisation
from ardoise.invoicing.models import Invoice, InvoiceStatus


def fiscal_years(organisation: Any) -> list[int]:
    """Return the closing years worth offering: those with issued documents, and the current one, newest first."""
    settings = settings_of(organisation)
    today = timezone.localdate()
    current = today.year if today.month <= settings.fiscal_year_end_month else today.year + 1
    issued = Invoice.objects.filter(organisation=organisation, status=InvoiceStatus.ISSUED)
    years = set(issued.annotate(year=ExtractYear("issue_date")).values_list("year", flat=True).distinct())
    # A document issued after the closing month belongs to the fiscal year that closes the next year.
    years |= {year + 1 for year in years if settings.fiscal_year_end_month < 12}
    years.add(current)
    return sorted(years, reverse=True)


def _page(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    organisation = current_organisation(request)
    years = fiscal_years(organisation)
    context.setdefault("export_form", ExportForm(years=years, initial={"year": years[0]}))
    context.setdefault("check_form", CheckForm())
    if "journal_form" not in context:
        year = FiscalYear.closing_in(years[0], settings_of(organisation).fiscal_year_end_month)
        context["journal_form"] = JournalForm(initial={"start": year.start, "end": year.end, "format": "csv"})
    context["settings"] = settings_of(organisation)
    return render(request, "accounting/index.html", context, status=status)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
def export(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    form = ExportForm(request.POST, years=fiscal_years(organisation))
    if not form.is_valid():
        return _page(request, export_form=form, status=400)
    try:
        result = export_fec(organisation, form.cleaned_data["year"], encoding=form.cleaned_data["encoding"])
    except AccountingError as error:
        form.add_error(None, str(error))
        return _page(request, export_form=form, status=400)
    record(
        organisation, "fec.exported", request=request, data={"year": form.cleaned_data["year"], "file": result.filename}
    )
    charset = "iso-8859-15" if form.cleaned_data["encoding"] != "utf-8" else "utf-8"
    response = HttpResponse(result.content, content_type="text/plain; charset=%s" % charset)
    response["Content-Disposition"] = 'attachment; filename="%s"' % result.filename
    return response


@require_POST
def journal(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    form = JournalForm(request.POST)
    if not form.is_valid():
        return _page(request, journal_form=form, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        entries = build_entries(organisation, start, end)
    except AccountingError as error:
        form.add_error(None, str(error))
        return _page(request, journal_form=form, status=400)
    layout = form.cleaned_data["layout"]
    try:
        written = journal_file(entries, layout, form.cleaned_data["format"] or "csv")
    except AccountingError as error:
        form.add_error("layout", str(error))
        return _page(request, journal_form=form, status=400)
    prefix = "ecritures" if layout == GENERIC else "ecritures-%s" % layout
    filename = "%s-%s-%s.%s" % (prefix, start.isoformat(), end.isoformat(), written.extension)
    response = HttpResponse(written.content, content_type=written.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@require_POST
def check(request: HttpRequest) -> HttpResponse:
    form = CheckForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, check_form=form, status=400)
    upload = form.cleaned_data["file"]
    report = fec.check(upload.read(), upload.name)
    return _page(request, check_form=CheckForm(), report=report, checked_name=upload.name)


@require_http_methods(["GET", "POST"])
def chart(request: HttpRequest) -> HttpResponse:
    """Show the accounts; the owner edits them, the other members read them."""
    organisation = current_organisation(request)
    settings = settings_of(organisation)
    can_edit = is_owner(request.user, organisation)
    data = request.POST if request.method == "POST" and can_edit else None
    form = SettingsForm(data, instance=settings, prefix="settings")
    formsets = {
        "rates": VatRateFormSet(
            data,
            queryset=VatRateAccounts.objects.filter(organisation=organisation),
            organisation=organisation,
            prefix="rates",
        ),
        "products": ProductAccountFormSet(
            data,
            queryset=ProductAccount.objects.filter(product__organisation=organisation).select_related("product"),
            organisation=organisation,
            prefix="products",
        ),
        "customers": CustomerAccountFormSet(
            data,
            queryset=CustomerAccount.objects.filter(customer__organisation=organisation).select_related("customer"),
            organisation=organisation,
            prefix="customers",
        ),
    }
    if request.method == "POST" and not can_edit:
        messages.error(request, _("Seul le propriétaire de l'entreprise peut modifier les comptes."))
        return redirect("accounting:chart")
    if data is not None:
        if form.is_valid() and all(formset.is_valid() for formset in formsets.values()):
            with transaction.atomic():
                form.save()
                for name, formset in formsets.items():
                    rows = formset.save(commit=False)
                    for row in rows:
                        if name == "rates":
                            row.organisation = organisation
                        row.save()
                    for row in formset.deleted_objects:
                        row.delete()
                record(
                    organisation, "accounting.settings_updated", request=request, data={"changes": form_changes(form)}
                )
            messages.success(request, _("Les comptes ont été enregistrés."))
            return redirect("accounting:chart")
        messages.error(request, _("Les comptes n'ont pas été enregistrés : corrigez les erreurs signalées."))
    return render(
        request,
        "accounting/chart.html",
        {"form": form, "formsets": formsets, "can_edit": can_edit},
        status=400 if data is not None else 200,
    )
