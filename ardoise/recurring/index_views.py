"""Screens of the price indices that plans revise their prices by: the list, and one index with its values.

Every query is scoped to the user's organisation: another organisation's index or value returns 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.core.views import current_organisation, get_scoped_or_404, scoped
from ardoise.recurring import indexation, services
from ardoise.recurring.forms import IndexValueForm, PriceIndexForm
from ardoise.recurring.models import PriceIndex, PriceIndexValue


@require_http_methods(["GET", "POST"])
def index_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    form = PriceIndexForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        index = services.create_index(
            organisation,
            form.cleaned_data["name"],
            form.cleaned_data["periodicity"],
            form.cleaned_data["source"],
            user=request.user,
            request=request,
        )
        messages.success(request, _("Indice « %(name)s » créé : saisissez ses valeurs.") % {"name": index.name})
        return redirect(index)
    indices = (
        scoped(request, PriceIndex)
        .annotate(value_count=Count("values", distinct=True), last_period=Max("values__period"))
        .order_by("name", "id")
    )
    rows = [(index, index.format_period(index.last_period) if index.last_period else "") for index in indices]
    status = 400 if form.errors else 200
    return render(request, "recurring/indices.html", {"indices": rows, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def index_detail(request: HttpRequest, index_pk: int) -> HttpResponse:
    index = get_scoped_or_404(request, PriceIndex, pk=index_pk)
    form = IndexValueForm(request.POST or None, index=index)
    if request.method == "POST" and form.is_valid():
        period, value = form.cleaned_data["period"], form.cleaned_data["value"]
        _row, released = services.set_index_value(index, period, value, user=request.user, request=request)
        text = _("Valeur de %(period)s enregistrée : %(value)s.") % {
            "period": index.format_period(period),
            "value": indexation.format_index_value(value),
        }
        if released:
            text += " " + _("%(count)s facture(s) d'abonnement en attente de cette valeur sont révisées.") % {
                "count": released
            }
        messages.success(request, text)
        return redirect(index)
    values = [
        (row, index.format_period(row.period), indexation.period_code(row.period, index.periodicity))
        for row in index.values.all()
    ]
    context = {
        "index": index,
        "form": form,
        "values": values,
        "plans": index.plans.select_related("customer").order_by("name"),
        "waiting": services.waiting_occurrences(index.organisation).filter(plan__price_index=index),
    }
    return render(request, "recurring/index_detail.html", context, status=400 if form.errors else 200)


@require_POST
def index_value_delete(request: HttpRequest, value_pk: int) -> HttpResponse:
    organisation = current_organisation(request)
    row = PriceIndexValue.objects.filter(pk=value_pk, index__organisation=organisation).select_related("index").first()
    if row is None:
        raise Http404
    index = row.index
    services.delete_index_value(row, user=request.user, request=request)
    messages.success(request, _("Valeur de %(period)s supprimée.") % {"period": index.format_period(row.period)})
    return redirect(index)
