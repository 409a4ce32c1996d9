"""The dashboard: what was invoiced this month, what is owed, what is late, and what to do next."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ardoise.accounts.models import Organisation
from ardoise.core.views import current_organisation
from ardoise.customers.models import Customer
from ardoise.invoicing import queries
from ardoise.invoicing.models import Invoice, InvoiceStatus, PaymentState

LATEST_COUNT = 8


@dataclass(frozen=True)
class Figure:
    amount: Decimal
    count: int


@dataclass(frozen=True)
class Step:
    """One step of getting started, shown until the organisation has done it."""

    title: str
    text: str
    url: str
    action: str
    done: bool


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    today = timezone.localdate()
    invoices = Invoice.objects.for_organisation(organisation)
    # NOTE: figures add up invoices of every currency; they are meaningful while invoices are in euros.
    issued: QuerySet[Any] = queries.with_balance(invoices.exclude(status=InvoiceStatus.DRAFT))

    context: dict[str, Any] = {
        "today": today,
        "invoiced_this_month": _invoiced_between(issued, queries.month_start(today), today),
        "outstanding": _sum_balances(issued.filter(balance_amount__gt=0)),
        "overdue": _sum_balances(queries.in_state(issued, PaymentState.OVERDUE, today)),
        "latest": queries.with_balance(invoices)
        .select_related("customer")
        .order_by("-created_at", "-id")[:LATEST_COUNT],
        "missing_profile_fields": organisation.missing_for_issue(),
        "steps": _getting_started(organisation),
    }
    context["show_getting_started"] = not all(step.done for step in context["steps"])
    return render(request, "dashboard/home.html", context)


def _invoiced_between(issued: QuerySet[Invoice], start: datetime.date, end: datetime.date) -> Figure:
    totals = issued.filter(issue_date__gte=start, issue_date__lte=end).aggregate(
        # Credit notes count negatively: what was invoiced, net of what was credited.
        amount=Sum("signed_total"),
        count=Count("id"),
    )
    return Figure(totals["amount"] or Decimal("0.00"), totals["count"])


def _sum_balances(invoices: QuerySet[Any]) -> Figure:
    # QuerySet[Any]: django-stubs cannot see the ``balance_amount`` annotation.
    totals = invoices.aggregate(amount=Sum("balance_amount"), count=Count("id"))
    return Figure(totals["amount"] or Decimal("0.00"), totals["count"])


def _getting_started(organisation: Organisation) -> list[Step]:
    missing = organisation.missing_for_issue()
    return [
        Step(
            title=_("Complétez le profil de l'entreprise"),
            text=_("Raison sociale, adresse, SIREN : ces mentions sont obligatoires sur chaque facture."),
            url=reverse("accounts:organisation"),
            action=_("Compléter le profil"),
            done=not missing,
        ),
        Step(
            title=_("Ajoutez votre premier client"),
            text=_("Son nom et son adresse de facturation suffisent pour commencer."),
            url=reverse("customers:create"),
            action=_("Ajouter un client"),
            done=Customer.objects.filter(organisation=organisation).exists(),
        ),
        Step(
            title=_("Créez votre première facture"),
            text=_("Préparez un brouillon, vérifiez-le, puis émettez-le : le numéro est attribué à l'émission."),
            url=reverse("invoicing:create"),
            action=_("Créer une facture"),
            done=Invoice.objects.for_organisation(organisation).exists(),
        ),
    ]
