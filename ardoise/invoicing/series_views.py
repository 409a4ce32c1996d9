"""Settings page « Séquences de numérotation »: list with the next numbers, create, edit, default, delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.accounts.views import is_owner
from ardoise.core.views import current_organisation, get_scoped_or_404, scoped
from ardoise.invoicing import series as series_services
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.forms import SeriesForm
from ardoise.invoicing.models import NumberingSeries


@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request)


@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    if not is_owner(request.user, organisation):
        return _reject_change(request)
    series = NumberingSeries(organisation=organisation)
    return _edit(request, series)


@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, series_pk: int) -> HttpResponse:
    series = get_scoped_or_404(request, NumberingSeries, pk=series_pk)
    if not is_owner(request.user, series.organisation):
        return _reject_change(request)
    return _edit(request, series)


@require_POST
def series_make_default(request: HttpRequest, series_pk: int) -> HttpResponse:
    series = get_scoped_or_404(request, NumberingSeries, pk=series_pk)
    if not is_owner(request.user, series.organisation):
        return _reject_change(request)
    try:
        series_services.make_default(series, request=request)
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect("invoicing:series")
    messages.success(
        request, _("Les nouvelles factures seront numérotées dans la séquence « %(name)s ».") % {"name": series.name}
    )
    return redirect("invoicing:series")


@require_POST
def series_delete(request: HttpRequest, series_pk: int) -> HttpResponse:
    series = get_scoped_or_404(request, NumberingSeries, pk=series_pk)
    if not is_owner(request.user, series.organisation):
        return _reject_change(request)
    try:
        series_services.delete_series(series, request=request)
    except InvoicingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Séquence « %(name)s » supprimée.") % {"name": series.name})
    return redirect("invoicing:series")


def _edit(request: HttpRequest, series: NumberingSeries) -> HttpResponse:
    created = series.pk is None
    form = SeriesForm(request.POST if request.method == "POST" else None, instance=series)
    if request.method == "POST" and form.is_valid():
        try:
            series_services.save_series(form.instance, request=request)
        except InvoicingError as error:
            # The series issued its first number after the form was checked.
            form.add_error(None, error.message)
        else:
            message = _("Séquence « %(name)s » créée.") if created else _("Séquence « %(name)s » enregistrée.")
            messages.success(request, message % {"name": series.name})
            return redirect("invoicing:series")
    stored = None if created else get_scoped_or_404(request, NumberingSeries, pk=series.pk)
    return render(request, "invoicing/series_form.html", {"form": form, "series": stored})


def _render_list(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    organisation = current_organisation(request)
    rows = [
        {
            "series": series,
            "next_number": series_services.next_number(series),
            "is_used": series.is_used(),
            "is_credit_note_series": series.pk == organisation.credit_note_series_id,
        }
        for series in scoped(request, NumberingSeries).order_by("-is_default", "name", "id")
    ]
    context = {"rows": rows, "can_edit": is_owner(request.user, organisation)}
    return render(request, "invoicing/series_list.html", context, status=status)


def _reject_change(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("Seuls les propriétaires de l'entreprise peuvent créer ou modifier les séquences."))
    return _render_list(request, status=403)
