"""The dashboard: what was invoiced this month, what is owed, what is late, and what to do next."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ardoise.accounts.models import Organisation
from ardoise.backups.views import backup_age_context
from ardoise.core.views import current_organisation
from ardoise.customers.models import Customer
from ardoise.dashboard import panels
from ardoise.invoicing import queries
from ardoise.invoicing.models import Invoice
from ardoise.jobs.views import recent_failures, visible_units
from ardoise.mailing.queries import failed_deliveries
from ardoise.recurring.services import waiting_occurrences
from ardoise.reports import queries as reports
from ardoise.reports.periods import Grouping, Period, month_start

LATEST_COUNT = 8
FAILED_EMAILS_SHOWN = 5
WAITING_REVISIONS_SHOWN = 5


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
    # The figures are those of the reports (ardoise.reports.queries), in euros.
    balances = reports.customer_balances(organisation, today)
    # One query gives the totals and the customers of the chart below.
    balances.rows.prefetch_largest(panels.TOP_CUSTOMERS)
    this_month = reports.revenue(organisation, Period(month_start(today), today), Grouping.MONTH).total

    context: dict[str, Any] = {
        "today": today,
        "invoiced_this_month": Figure(this_month.with_vat or Decimal("0.00"), this_month.documents),
        "outstanding": Figure(balances.total.open_amount, balances.total.open_count),
        "overdue": Figure(balances.total.overdue, balances.total.overdue_count),
        "latest": queries.with_stored_balance(invoices)
        .select_related("customer")
        .order_by("-created_at", "-id")[:LATEST_COUNT],
        "missing_profile_fields": organisation.missing_for_issue(),
        "steps": _getting_started(organisation),
        "job_failures": recent_failures(visible_units(request)).count(),
        "failed_emails": list(failed_deliveries(organisation)[:FAILED_EMAILS_SHOWN]),
        "waiting_revisions": list(waiting_occurrences(organisation)[:WAITING_REVISIONS_SHOWN]),
    }
    context.update(backup_age_context(request))
    context["show_getting_started"] = not all(step.done for step in context["steps"])
    if Invoice.objects.for_organisation(organisation).issued().exists():
        context["charts"] = panels.charts(organisation, today, balances)
    return render(request, "dashboard/home.html", context)


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
