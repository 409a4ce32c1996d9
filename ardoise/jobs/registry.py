"""The registry of scheduled jobs: what each app does in the background, declared once.

A job declares how to find the units of work due on a day from the database
(``find_due``) and how to do one unit (``run``). Declare it in the app's
``tasks.py``, which the jobs app imports at start-up::

    register(Job(
        name="backups.daily",
        label=_("Sauvegarde quotidienne"),
        find_due=lambda day: [DueUnit(key="backup:%s" % day, label=_("Sauvegarde du %s") % day)],
        run=run_backup,
        timeout=datetime.timedelta(hours=2),
    ))

``run`` must be idempotent: it receives the claimed ``JobUnit`` and may be
called again for the same unit after a crash, so it checks in the database
whether the work is already done before doing it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

if TYPE_CHECKING:
    from ardoise.jobs.models import JobUnit


@dataclass(frozen=True)
class Backoff:
    """Exponential delays between the failed attempts of a unit: first, first × factor, … up to ``maximum``."""

    first: datetime.timedelta = datetime.timedelta(minutes=1)
    factor: int = 2
    maximum: datetime.timedelta = datetime.timedelta(hours=1)

    def delay(self, attempt: int) -> datetime.timedelta:
        """Return the wait after the ``attempt``-th failed attempt, counting from 1."""
        if attempt < 1:
            raise ValueError("attempt counts from 1, got %r" % attempt)
        # Cap the exponent before multiplying: 2**60 minutes overflows timedelta.
        delay = self.first * self.factor ** min(attempt - 1, 32)
        return min(delay, self.maximum)


@dataclass(frozen=True)
class DueUnit:
    """A unit of work that ``find_due`` found in the database.

    ``key`` identifies the work within its job, e.g. ``"email:42"`` or
    ``"schedule:7:2026-12-04"``: a unit with the same key is never created twice.
    ``label`` is French, shown on the « Tâches » page. ``not_before`` delays the
    first attempt.
    """

    key: str
    label: str
    organisation_id: int | None = None
    object_id: int | None = None
    not_before: datetime.datetime | None = None


class PermanentFailure(Exception):
    """Raised by a job's ``run`` when retrying cannot help; the message is French and shown to users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemporaryFailure(Exception):
    """Raised by a job's ``run`` for an expected failure that a later attempt may overcome (a server down).

    It is retried like any exception, but logged in one line, without the
    traceback that an unexpected exception gets.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Job:
    """A kind of background work.

    ``find_due(day)`` returns the units due on ``day`` (a date in Europe/Paris),
    derived from database state only. ``run(unit)`` does one unit and returns a
    short French summary. It raises ``PermanentFailure`` to stop, and
    ``TemporaryFailure`` or any other exception to be retried with ``backoff``
    until ``max_attempts``. A unit
    running longer than ``timeout`` (``JOBS_TIMEOUT`` by default) is presumed
    abandoned and taken again.
    """

    name: str
    label: str | Promise
    find_due: Callable[[datetime.date], Iterable[DueUnit]]
    run: Callable[[JobUnit], str]
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=Backoff)
    timeout: datetime.timedelta | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ImproperlyConfigured("Job %s: max_attempts must be at least 1." % self.name)

    @property
    def lease(self) -> datetime.timedelta:
        """Return how long a claim lasts before the unit counts as abandoned."""
        return self.timeout or datetime.timedelta(seconds=settings.JOBS_TIMEOUT)


_jobs: dict[str, Job] = {}


def register(job: Job) -> Job:
    """Add ``job`` to the registry; a second job with the same name is a configuration error."""
    existing = _jobs.get(job.name)
    if existing is not None and existing is not job:
        raise ImproperlyConfigured("Two scheduled jobs are named %r." % job.name)
    _jobs[job.name] = job
    return job


def unregister(name: str) -> None:
    """Remove a job from the registry (tests register jobs of their own)."""
    _jobs.pop(name, None)


def get_job(name: str) -> Job | None:
    return _jobs.get(name)


def all_jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: job.name)
