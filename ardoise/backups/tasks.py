"""The daily backup, run by the worker (or ``ardoise run-scheduled``) at ARDOISE_BACKUP_TIME, Europe/Paris.

One unit per Paris day, keyed ``backup:<date>``, so that however many
workers and sweeps find it, the day's backup runs once. A failed attempt is
recorded as a failed ``BackupRun`` (shown to the owner) and retried with the
job's backoff.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.backups.models import BackupKind, BackupRun, BackupStatus
from ardoise.backups.services import environment_passphrase, run_backup
from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import Backoff, DueUnit, Job, TemporaryFailure, register

KEY_PREFIX = "backup:"


def backup_key(day: datetime.date) -> str:
    return "%s%s" % (KEY_PREFIX, day.isoformat())


def find_daily_backup(day: datetime.date) -> Iterator[DueUnit]:
    """List the day's backup, due at the configured time of that Paris day."""
    due_at = timezone.make_aware(datetime.datetime.combine(day, settings.BACKUP_TIME_OF_DAY))
    yield DueUnit(
        key=backup_key(day),
        label=_("Sauvegarde du %(date)s") % {"date": day.strftime("%d/%m/%Y")},
        not_before=due_at,
    )


def run_daily_backup(unit: JobUnit) -> str:
    """Back up the installation, unless a scheduled backup of the unit's day already succeeded."""
    day = datetime.date.fromisoformat(unit.key.removeprefix(KEY_PREFIX))
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    done = BackupRun.objects.filter(
        kind=BackupKind.SCHEDULED,
        status=BackupStatus.SUCCEEDED,
        started_at__gte=start,
        started_at__lt=start + datetime.timedelta(days=1),
    ).first()
    if done is not None:
        return _("Déjà faite : %(name)s.") % {"name": done.filename}

    run = run_backup(BackupKind.SCHEDULED, passphrase=environment_passphrase())
    if run.error:
        raise TemporaryFailure(run.error)
    return _("Sauvegarde écrite : %(name)s, copiée dans %(count)s dossier(s).") % {
        "name": run.filename,
        "count": len(run.destinations),
    }


DAILY_BACKUP = register(
    Job(
        name="backups.daily",
        label=gettext_lazy("Sauvegarde quotidienne"),
        find_due=find_daily_backup,
        run=run_daily_backup,
        max_attempts=6,
        # 10, 20, 40, 80, 160 minutes: a disk or share that comes back within about five hours gets the backup.
        backoff=Backoff(first=datetime.timedelta(minutes=10), maximum=datetime.timedelta(hours=3)),
        timeout=datetime.timedelta(hours=3),
    )
)
