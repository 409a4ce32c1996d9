"""The audit journal of the organisation: who changed what, filterable by user and date."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ardoise.accounts.models import User
from ardoise.audit.forms import JournalFilterForm
from ardoise.audit.models import AuditEntry
from ardoise.core.views import current_organisation, scoped

PAGE_SIZE = 50


@require_GET
def journal(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    entries = scoped(request, AuditEntry).select_related("user").order_by("-created_at", "-id")
    # Former members stay selectable: their entries remain in the journal.
    users = (
        User.objects.filter(Q(memberships__organisation=organisation) | Q(pk__in=entries.values("user")))
        .distinct()
        .order_by("email", "username")
    )

    form = JournalFilterForm(request.GET or None, users=users)
    if form.is_valid():
        entries = _filtered(entries, form.cleaned_data)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "filter_query": query.urlencode(), "filtered": bool(request.GET)}
    return render(request, "audit/journal.html", context)


def _filtered(entries: QuerySet[AuditEntry], filters: dict[str, Any]) -> QuerySet[AuditEntry]:
    if filters.get("user"):
        entries = entries.filter(user=filters["user"])
    # Dates are days in Europe/Paris, so compare with the bounds of those days, not UTC dates.
    if filters.get("start"):
        entries = entries.filter(created_at__gte=_start_of(filters["start"]))
    if filters.get("end"):
        entries = entries.filter(created_at__lt=_start_of(filters["end"] + datetime.timedelta(days=1)))
    return entries


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
