"""The daily backup job: due at the configured time, once per Paris day, retried and rotated."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from ardoise.backups.archive import file_sha256
from ardoise.backups.models import BackupKind, BackupRun, BackupStatus
from ardoise.backups.rotation import archives
from ardoise.backups.services import backup_state
from ardoise.backups.tasks import DAILY_BACKUP, find_daily_backup
from ardoise.jobs.models import JobUnit, UnitStatus
from ardoise.jobs.services import run_due

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def folders(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "local"
    settings.BACKUP_SECOND_DIR = str(tmp_path / "share")
    return settings.BACKUP_DIR, tmp_path / "share"


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def test_due_at_configured_paris_time(settings):
    settings.BACKUP_TIME_OF_DAY = datetime.time(3, 15)

    (unit,) = find_daily_backup(datetime.date(2026, 12, 5))

    assert unit.key == "backup:2026-12-05"
    assert unit.not_before == datetime.datetime(2026, 12, 5, 2, 15, tzinfo=datetime.UTC)


def test_daily_backup_runs_once_and_copies(organisation, folders):
    local, share = folders

    first = run_due(yesterday(), [DAILY_BACKUP])
    second = run_due(yesterday(), [DAILY_BACKUP])

    assert [outcome.status for outcome in first.outcomes] == ["succeeded"]
    assert second.outcomes == []
    (archive,) = archives(local)
    (copy,) = archives(share)
    assert file_sha256(copy) == file_sha256(archive)
    run = BackupRun.objects.get()
    assert (run.kind, run.status) == (BackupKind.SCHEDULED, BackupStatus.SUCCEEDED)
    assert run.destinations == [str(local), str(share)]
    assert JobUnit.objects.get(job="backups.daily").status == UnitStatus.DONE


def test_failed_backup_is_retried_and_shown(organisation, settings, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    settings.BACKUP_DIR = blocker / "backups"
    settings.BACKUP_SECOND_DIR = None

    report = run_due(yesterday(), [DAILY_BACKUP])

    (outcome,) = report.outcomes
    assert outcome.will_retry
    unit = JobUnit.objects.get(job="backups.daily")
    assert (unit.status, unit.attempts) == (UnitStatus.PENDING, 1)
    assert unit.run_after > timezone.now() + datetime.timedelta(minutes=9)
    assert BackupRun.objects.get().status == BackupStatus.FAILED
    assert "a échoué" in backup_state()[1]


def test_scheduled_backup_rotates_both_folders(organisation, folders, settings):
    local, share = folders
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY, settings.BACKUP_KEEP_MONTHLY = 2, 0, 0
    for folder in (local, share):
        folder.mkdir(parents=True)
        for day in ("20260101", "20260102", "20260103"):
            (folder / ("ardoise-backup-%s-023000.tar.gz" % day)).write_bytes(b"old")

    run_due(yesterday(), [DAILY_BACKUP])

    for folder in (local, share):
        names = [path.name for path in archives(folder)]
        assert len(names) == 2
        assert names[1] == "ardoise-backup-20260103-023000.tar.gz"


def test_run_scheduled_command_takes_backup(organisation, folders, capsys):
    from django.core.management import call_command

    call_command("run-scheduled", "--date", yesterday().isoformat())

    assert len(archives(folders[0])) == 1
