"""Finding, claiming and running the units of scheduled jobs, one attempt at a time.

A sweep asks every job what is due on a day and makes sure a ``JobUnit`` row
exists for each due unit (the unique (job, key) pair makes this idempotent).
Claiming a unit is one conditional UPDATE: « pending and due, or running with an
expired lease » becomes « running » with a new lease token. The database
applies such UPDATEs to a row one at a time and the second one no longer
matches, so two workers, two sweeps or a worker and ``ardoise run-scheduled``
never run the same attempt twice, on SQLite and on PostgreSQL alike. The token
fences the end of the attempt: a worker whose lease expired and was taken over
cannot overwrite the new owner's result.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.jobs.models import JobRun, JobUnit, RunStatus, UnitStatus
from ardoise.jobs.registry import DueUnit, Job, PermanentFailure, TemporaryFailure, all_jobs, get_job

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 4000


@dataclass(frozen=True)
class Outcome:
    """The end of one attempt at a unit: its status, summary or error, and whether it will be retried."""

    unit: JobUnit
    status: str
    text: str
    will_retry: bool = False


@dataclass
class SweepReport:
    """The result of a synchronous sweep: the attempts it made and the jobs whose due units could not be listed."""

    outcomes: list[Outcome] = field(default_factory=list)
    discovery_errors: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == RunStatus.FAILED]


def worker_name() -> str:
    """Name the running thread for the run records: host, process id and thread."""
    return "%s:%s:%s" % (socket.gethostname(), os.getpid(), threading.current_thread().name)


def claimable(now: datetime.datetime) -> Q:
    """Return the condition of a unit that may be claimed at ``now``."""
    return Q(status=UnitStatus.PENDING, run_after__lte=now) | Q(status=UnitStatus.RUNNING, lease_until__lte=now)


def discover(job: Job, day: datetime.date) -> int:
    """Create the missing units of ``job`` due on ``day``; return how many units are due."""
    due = list(job.find_due(day))
    add_units(job, due, day)
    return len(due)


def add_units(job: Job, due: list[DueUnit], day: datetime.date) -> None:
    """Create the units of ``due`` that do not exist yet, as a sweep on ``day`` would.

    An app calls it to create one unit that it has just made due, without
    listing all the job's due units.
    """
    if not due:
        return
    now = timezone.now()
    units = [_new_unit(job, unit, day, now) for unit in due]
    # Units found by an earlier sweep keep their state: the unique (job, key) pair skips them.
    JobUnit.objects.bulk_create(units, ignore_conflicts=True, batch_size=500)


def _new_unit(job: Job, due: DueUnit, day: datetime.date, now: datetime.datetime) -> JobUnit:
    return JobUnit(
        job=job.name,
        key=due.key,
        organisation_id=due.organisation_id,
        object_id=due.object_id,
        due_on=day,
        label=due.label[:300],
        run_after=due.not_before or now,
    )


def claimable_ids(
    job: Job, now: datetime.datetime, *, not_enqueued_since: datetime.datetime | None = None
) -> list[int]:
    """List the units of ``job`` that may be claimed now, oldest first."""
    units = JobUnit.objects.filter(claimable(now), job=job.name)
    if not_enqueued_since is not None:
        units = units.filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=not_enqueued_since))
    return list(units.order_by("run_after", "id").values_list("id", flat=True))


@dataclass(frozen=True)
class Claim:
    unit: JobUnit
    run: JobRun
    token: str


def claim(unit_id: int) -> Claim | None:
    """Take the unit for one attempt, or return None when it is not claimable (another worker has it)."""
    unit = JobUnit.objects.filter(pk=unit_id).first()
    job = get_job(unit.job) if unit is not None else None
    if unit is None or job is None:
        if unit is not None:
            logger.warning("unit of unknown job skipped unit=%s job=%s", unit.pk, unit.job)
        return None

    now = timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        taken = JobUnit.objects.filter(claimable(now), pk=unit_id).update(
            status=UnitStatus.RUNNING,
            attempts=F("attempts") + 1,
            lease_token=token,
            lease_until=now + job.lease,
            finished_at=None,
        )
        if not taken:
            return None
        # The previous attempt's worker died without finishing: mark its run record as interrupted.
        JobRun.objects.filter(unit_id=unit_id, status=RunStatus.RUNNING).update(
            status=RunStatus.INTERRUPTED,
            finished_at=now,
            error=_("Interrompue : le processus qui l'exécutait s'est arrêté avant la fin."),
        )
        unit.refresh_from_db()
        run = JobRun.objects.create(unit=unit, attempt=unit.attempts, worker=worker_name(), started_at=now)
    if unit.attempts > 1:
        logger.info("unit claimed again job=%s unit=%s attempt=%s", unit.job, unit.pk, unit.attempts)
    return Claim(unit, run, token)


def execute_unit(unit_id: int) -> Outcome | None:
    """Claim the unit, run one attempt and record how it ended; None if the unit was not claimable."""
    claimed = claim(unit_id)
    if claimed is None:
        return None
    job = get_job(claimed.unit.job)
    assert job is not None  # claim() checked it.
    if claimed.unit.attempts > job.max_attempts:
        # Only a retaken unit gets here: its attempts kept dying with their worker (a crash, a kill),
        # so running it again could bring down the next worker too.
        text = _("Abandonnée : %(count)s tentatives se sont arrêtées avant la fin.") % {"count": job.max_attempts}
        return finish_attempt(claimed, job, RunStatus.FAILED, text, retry=False)

    try:
        summary = job.run(claimed.unit)
    except PermanentFailure as failure:
        logger.warning("unit failed for good job=%s unit=%s error=%s", job.name, claimed.unit.pk, failure.message)
        return finish_attempt(claimed, job, RunStatus.FAILED, failure.message, retry=False)
    except TemporaryFailure as failure:
        logger.warning(
            "unit failed job=%s unit=%s attempt=%s error=%s",
            job.name,
            claimed.unit.pk,
            claimed.unit.attempts,
            failure.message,
        )
        retry = claimed.unit.attempts < job.max_attempts
        return finish_attempt(claimed, job, RunStatus.FAILED, failure.message, retry=retry)
    except Exception as error:
        # Any error of a job is recorded and retried; the traceback goes to the log.
        logger.exception("unit failed job=%s unit=%s attempt=%s", job.name, claimed.unit.pk, claimed.unit.attempts)
        text = str(error) or error.__class__.__name__
        return finish_attempt(claimed, job, RunStatus.FAILED, text, retry=claimed.unit.attempts < job.max_attempts)
    return finish_attempt(claimed, job, RunStatus.SUCCEEDED, summary, retry=False)


def finish_attempt(claimed: Claim, job: Job, status: str, text: str, *, retry: bool) -> Outcome:
    """Record how the claimed attempt ended. The unit changes only if the claim's token still owns it."""
    now = timezone.now()
    unit = claimed.unit
    text = text[:ERROR_MAX_LENGTH]
    if status == RunStatus.SUCCEEDED:
        fields = {"status": UnitStatus.DONE, "result": text, "error": "", "finished_at": now}
    elif retry:
        run_after = now + job.backoff.delay(unit.attempts)
        fields = {"status": UnitStatus.PENDING, "error": text, "run_after": run_after, "enqueued_at": None}
    else:
        fields = {"status": UnitStatus.FAILED, "error": text, "finished_at": now}

    with transaction.atomic():
        run_text = {"result": text} if status == RunStatus.SUCCEEDED else {"error": text}
        JobRun.objects.filter(pk=claimed.run.pk).update(status=status, finished_at=now, **run_text)
        updated = JobUnit.objects.filter(pk=unit.pk, status=UnitStatus.RUNNING, lease_token=claimed.token).update(
            lease_token="", lease_until=None, **fields
        )
    if not updated:
        # The lease expired and another worker took the unit: its attempt decides the unit's state.
        logger.warning("unit lease lost before the end job=%s unit=%s attempt=%s", job.name, unit.pk, unit.attempts)
    for name, value in fields.items():
        setattr(unit, name, value)
    return Outcome(unit, status, text, will_retry=retry)


def run_due(day: datetime.date, jobs: Iterable[Job] | None = None) -> SweepReport:
    """Find what is due on ``day`` and run every claimable unit now, in this process."""
    report = SweepReport()
    selected = list(jobs) if jobs is not None else all_jobs()
    for job in selected:
        _discover_safely(job, day, report)
    now = timezone.now()
    for job in selected:
        for unit_id in claimable_ids(job, now):
            outcome = execute_unit(unit_id)
            if outcome is not None:
                report.outcomes.append(outcome)
    return report


def enqueue_due(day: datetime.date, enqueue: Callable[[int], object]) -> int:
    """Find what is due on ``day`` and hand each claimable unit to the queue; return how many were queued.

    A unit already handed over is not queued again until its job's lease has
    passed, so a lost queue message delays the unit but never loses it.
    """
    report = SweepReport()
    now = timezone.now()
    queued = 0
    for job in all_jobs():
        _discover_safely(job, day, report)
        unit_ids = claimable_ids(job, now, not_enqueued_since=now - job.lease)
        if not unit_ids:
            continue
        JobUnit.objects.filter(pk__in=unit_ids).update(enqueued_at=now)
        for unit_id in unit_ids:
            enqueue(unit_id)
        queued += len(unit_ids)
    return queued


def _discover_safely(job: Job, day: datetime.date, report: SweepReport) -> None:
    """Run ``job.find_due``, recording its error so that one broken job does not stop the others."""
    try:
        discover(job, day)
    except Exception as error:
        logger.exception("cannot list due units job=%s day=%s", job.name, day)
        report.discovery_errors[job.name] = str(error) or error.__class__.__name__


def retry_now(unit: JobUnit) -> bool:
    """Give a failed unit a fresh set of attempts from now; False if it is no longer failed."""
    updated = JobUnit.objects.filter(pk=unit.pk, status=UnitStatus.FAILED).update(
        status=UnitStatus.PENDING, attempts=0, run_after=timezone.now(), enqueued_at=None, finished_at=None
    )
    return bool(updated)
