"""The audit journal of the organisation: who changed what, filterable by user and date."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ardoise.accounts.models import User
from ardoise.audit.forms import JournalFilterForm
from ardoise.audit.models import AuditEntry
from ardoise.core.views import current_organisation, scoped
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import Payment, Receipt

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
    context: dict[str, Any] = {"form": form, "filtered": bool(request.GET), "page": None}
    if form.is_bound and not form.is_valid():
        # Listing every event under filters that were not applied would read as their result.
        return render(request, "audit/journal.html", context)

    if form.is_bound:
        entries = _filtered(entries, form.cleaned_data)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    # A list, so that the template shows the entries annotated here instead of querying them again.
    page.object_list = list(page.object_list)
    _describe_objects(request, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, filter_query=query.urlencode())
    return render(request, "audit/journal.html", context)


def _describe_objects(request: HttpRequest, entries: list[AuditEntry]) -> None:
    """Give each entry the link (``object_url``) and currency of its invoice, receipt or payment.

    Drafts can be deleted, and a link to them would lead to a missing page,
    so an entry whose object is gone gets no link. A payment links to the
    payments of its invoice.
    """
    for object_type, describe in (("invoice", _invoices), ("receipt", _receipts), ("payment", _payments)):
        typed = [entry for entry in entries if entry.object_type == object_type and entry.object_id.isdigit()]
        if not typed:
            continue
        found = describe(request, {int(entry.object_id) for entry in typed})
        for entry in typed:
            url, currency = found.get(entry.object_id, ("", ""))
            entry.object_url = url  # type: ignore[attr-defined]
            entry.currency = currency  # type: ignore[attr-defined]


def _invoices(request: HttpRequest, ids: set[int]) -> dict[str, tuple[str, str]]:
    rows = scoped(request, Invoice).filter(pk__in=ids).values_list("pk", "currency")
    return {str(pk): (reverse("invoicing:detail", args=[pk]), currency) for pk, currency in rows}


def _receipts(request: HttpRequest, ids: set[int]) -> dict[str, tuple[str, str]]:
    rows = scoped(request, Receipt).filter(pk__in=ids).values_list("pk", "currency")
    return {str(pk): (reverse("payments:receipt", args=[pk]), currency) for pk, currency in rows}


def _payments(request: HttpRequest, ids: set[int]) -> dict[str, tuple[str, str]]:
    rows = scoped(request, Payment).filter(pk__in=ids).values_list("pk", "invoice_id", "invoice__currency")
    return {
        str(pk): ("%s#paiements" % reverse("invoicing:detail", args=[invoice_id]), currency)
        for pk, invoice_id, currency in rows
    }


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
