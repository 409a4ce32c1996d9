"""The Huey tasks of the worker: a sweep every minute, and one task per unit of work.

Huey only carries wake-ups: what to do is in the database (``JobUnit``), so a
lost or duplicated message neither loses nor doubles work.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from ardoise.audit.services import running_command
from ardoise.jobs.services import enqueue_due, execute_unit

WORKER_COMMAND = "ardoise worker"


@db_task(name="jobs.run_unit")
def run_unit(unit_id: int) -> None:
    with running_command(WORKER_COMMAND):
        execute_unit(unit_id)


@db_periodic_task(crontab(minute="*"), name="jobs.sweep")
def sweep() -> None:
    """Queue every unit due today (Europe/Paris) that no worker has, including those a crash left behind."""
    enqueue_due(timezone.localdate(), enqueue=run_unit)
