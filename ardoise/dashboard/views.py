"""The dashboard: what was invoiced this month, what is owed, what is late, and what to do next."""

from __future__ import annotations

import datetime
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
ZERO = Decimal("0.00")


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
    # The figures are those of the reports (ardoise.reports.queries), in euros.
    balances = reports.customer_balances(organisation, today)
    # One query gives the totals and the customers of the chart below.
    balances.rows.prefetch_largest(panels.TOP_CUSTOMERS)
    latest = list(
        queries.with_stored_balance(Invoice.objects.for_organisation(organisation))
        .select_related("customer")
        .order_by("-created_at", "-id")[:LATEST_COUNT]
    )
    progress = _progress(organisation, latest)
    months = reports.invoiced_and_collected(organisation, today, panels.MONTHS_SHOWN) if progress.issued else []
    missing = organisation.missing_for_issue()
    steps = _getting_started(missing, progress)

    context: dict[str, Any] = {
        "today": today,
        "invoiced_this_month": _invoiced_this_month(organisation, today, months, balances),
        "outstanding": Figure(balances.total.open_amount, balances.total.open_count),
        "overdue": Figure(balances.total.overdue, balances.total.overdue_count),
        "latest": latest,
        "missing_profile_fields": missing,
        "steps": steps,
        "show_getting_started": not all(step.done for step in steps),
        "job_failures": recent_failures(visible_units(request)).count(),
        "failed_emails": list(failed_deliveries(organisation)[:FAILED_EMAILS_SHOWN]),
        "waiting_revisions": list(waiting_occurrences(organisation)[:WAITING_REVISIONS_SHOWN]),
    }
    context.update(backup_age_context(request))
    if progress.issued:
        context["charts"] = panels.charts(organisation, today, balances, months)
    return render(request, "dashboard/home.html", context)


@dataclass(frozen=True)
class Progress:
    """The first steps an organisation has taken: adding a customer, creating an invoice, issuing a document."""

    customer: bool
    invoice: bool
    issued: bool


def _progress(organisation: Organisation, latest: list[Invoice]) -> Progress:
    """Return what the organisation has done, read from its latest invoices where possible.

    Every invoice has a customer, and the latest invoices of an established
    organisation include an issued one, so the database is queried only for
    what they leave open.
    """
    invoice = bool(latest)
    customer = invoice or Customer.objects.filter(organisation=organisation).exists()
    issued = any(not row.is_draft for row in latest) or (
        invoice and Invoice.objects.for_organisation(organisation).issued().exists()
    )
    return Progress(customer=customer, invoice=invoice, issued=issued)


def _invoiced_this_month(
    organisation: Organisation,
    today: datetime.date,
    months: list[tuple[reports.RevenueLine, Any]],
    balances: reports.BalanceReport,
) -> Figure:
    """Return the revenue report's total from the first of the month to today, including VAT.

    ``months`` are the chart's months, this one last, read whole from the
    monthly totals. A document is dated the day it is issued, so the chart's
    last month contains nothing dated after today and equals the figure. When
    a document is dated later (a clock set back, an issue date passed by
    hand), the report computes the figure instead. Without an issued document
    the figure is zero.

    Balances that are current on today already tell that no issued document
    is dated later, since every issued document's stored balance has moved on
    its issue date. Otherwise one query by index checks it.
    """
    if not months:
        return Figure(ZERO, 0)
    if (
        not balances.rows.current
        and Invoice.objects.for_organisation(organisation).filter(issue_date__gt=today).exists()
    ):
        line = reports.revenue(organisation, Period(month_start(today), today), Grouping.MONTH).total
    else:
        line = months[-1][0]
    return Figure(line.with_vat or ZERO, line.documents)


def _getting_started(missing_profile_fields: list[str], progress: Progress) -> list[Step]:
    return [
        Step(
            title=_("Complétez le profil de l'entreprise"),
            text=_("Raison sociale, adresse, SIREN : ces mentions sont obligatoires sur chaque facture."),
            url=reverse("accounts:organisation"),
            action=_("Compléter le profil"),
            done=not missing_profile_fields,
        ),
        Step(
            title=_("Ajoutez votre premier client"),
            text=_("Son nom et son adresse de facturation suffisent pour commencer."),
            url=reverse("customers:create"),
            action=_("Ajouter un client"),
            done=progress.customer,
        ),
        Step(
            title=_("Créez votre première facture"),
            text=_("Préparez un brouillon, vérifiez-le, puis émettez-le : le numéro est attribué à l'émission."),
            url=reverse("invoicing:create"),
            action=_("Créer une facture"),
            done=progress.invoice,
        ),
    ]
