"""The « Tâches » page: what the background jobs did lately, what failed, and sending a failure back to the queue.

Every member can see the units of their organisation. Install-wide units (a
backup of the whole install) are shown to owners only. Only owners may retry.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ardoise.accounts.views import is_owner, owns_current_organisation
from ardoise.audit.services import record
from ardoise.core.views import current_organisation
from ardoise.jobs.models import JobRun, JobUnit, UnitStatus
from ardoise.jobs.services import retry_now

PAGE_SIZE = 25
# Failures this recent are shown on the dashboard and at the top of the « Tâches » page.
RECENT_FAILURES = datetime.timedelta(days=7)


def visible_units(request: HttpRequest) -> QuerySet[JobUnit]:
    """Return the units the user may see: their organisation's, and install-wide ones for owners."""
    organisation = current_organisation(request)
    condition = Q(organisation=organisation)
    if owns_current_organisation(request):
        condition |= Q(organisation__isnull=True)
    return JobUnit.objects.filter(condition)


def recent_failures(units: QuerySet[JobUnit]) -> QuerySet[JobUnit]:
    since = timezone.now() - RECENT_FAILURES
    return units.filter(status=UnitStatus.FAILED, finished_at__gte=since).order_by("-finished_at", "-id")


@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    units = visible_units(request)
    runs = JobRun.objects.filter(unit__in=units).select_related("unit").order_by("-started_at", "-id")
    context = {
        "failures": recent_failures(units),
        "retrying": units.filter(status=UnitStatus.PENDING, attempts__gt=0).order_by("run_after", "id"),
        "page": Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "jobs/list.html", context)


@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _get_unit_or_404(request, pk)
    context = {
        "unit": unit,
        "runs": unit.runs.order_by("-started_at", "-id"),
        "can_retry": unit.status == UnitStatus.FAILED and is_owner(request.user, current_organisation(request)),
    }
    return render(request, "jobs/detail.html", context)


@require_POST
def unit_retry(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _get_unit_or_404(request, pk)
    organisation = current_organisation(request)
    if not is_owner(request.user, organisation):
        messages.error(request, _("Seuls les propriétaires de l'entreprise peuvent relancer une tâche."))
        return redirect(unit)

    with transaction.atomic():
        retried = retry_now(unit)
        if retried:
            record(organisation, "job.retried", unit, request=request, data={"job": unit.job_label})
    if not retried:
        messages.info(request, _("Cette tâche n'est plus en échec : rien à relancer."))
        return redirect(unit)

    from ardoise.jobs.tasks import run_unit

    # Queue it once the retry is committed; without a worker, the next run-scheduled takes it.
    transaction.on_commit(lambda: run_unit(unit.pk))
    messages.success(request, _("La tâche est relancée : le worker va la reprendre dans un instant."))
    return redirect(unit)


def _get_unit_or_404(request: HttpRequest, pk: int) -> JobUnit:
    unit = visible_units(request).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit
