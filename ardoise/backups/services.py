"""Running a backup of the installation: the archive, its copy to the second folder, rotation and the log."""

from __future__ import annotations

import datetime
import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.backups.archive import TEMPORARY_PREFIX, create_archive, file_sha256
from ardoise.backups.errors import BackupError
from ardoise.backups.models import BackupKind, BackupRun, BackupStatus
from ardoise.backups.rotation import Retention, rotate

logger = logging.getLogger(__name__)

# The owner is warned when the last successful backup is older than this.
STALE_AFTER = datetime.timedelta(hours=50)


def environment_passphrase() -> str | None:
    """Return the passphrase of ARDOISE_BACKUP_PASSPHRASE, if set and not empty."""
    return os.environ.get("ARDOISE_BACKUP_PASSPHRASE") or None


def retention() -> Retention:
    return Retention(
        daily=settings.BACKUP_KEEP_DAILY, weekly=settings.BACKUP_KEEP_WEEKLY, monthly=settings.BACKUP_KEEP_MONTHLY
    )


def run_backup(
    kind: str = BackupKind.MANUAL, *, output: Path | None = None, passphrase: str | None = None
) -> BackupRun:
    """Back up the installation into ``output`` (the backup folder by default) and record the run.

    A scheduled backup is also copied to the second folder, checked there
    against its SHA-256, and both folders are rotated. The run is returned
    with ``error`` set when it failed; the caller decides whether to raise.
    """
    folder = Path(output or settings.BACKUP_DIR)
    run = BackupRun.objects.create(kind=kind, started_at=timezone.now(), encrypted=bool(passphrase))
    logger.info("backup started run=%s kind=%s folder=%s", run.pk, kind, folder)
    try:
        _remove_leftovers(folder)
        written = create_archive(folder, passphrase)
        run.path, run.size = str(written.path), written.size
        run.destinations = [str(folder)]
        if kind == BackupKind.SCHEDULED:
            second = settings.BACKUP_SECOND_DIR
            if second:
                copy_verified(written.path, Path(second))
                run.destinations.append(str(second))
            for destination in run.destinations:
                rotate(Path(destination), retention())
    except (BackupError, OSError) as error:
        message = (
            error.message if isinstance(error, BackupError) else _("Erreur d'écriture : %(error)s") % {"error": error}
        )
        return _finish(run, BackupStatus.FAILED, message)
    except Exception as error:
        logger.exception("backup failed run=%s", run.pk)
        return _finish(run, BackupStatus.FAILED, str(error) or error.__class__.__name__)
    return _finish(run, BackupStatus.SUCCEEDED, "")


def _finish(run: BackupRun, status: str, error: str) -> BackupRun:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.save()
    if error:
        logger.error("backup failed run=%s error=%s", run.pk, error)
    else:
        logger.info("backup finished run=%s path=%s size=%s", run.pk, run.path, run.size)
    return run


def copy_verified(archive: Path, folder: Path) -> Path:
    """Copy the archive into ``folder`` under a temporary name, check its SHA-256, then rename it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / archive.name
    temporary = folder / ("%s%s.partial" % (TEMPORARY_PREFIX, archive.name))
    shutil.copyfile(archive, temporary)
    if file_sha256(temporary) != file_sha256(archive):
        temporary.unlink(missing_ok=True)
        raise BackupError(
            _("La copie de %(name)s dans %(folder)s est différente de l'original : vérifiez ce dossier.")
            % {"name": archive.name, "folder": folder}
        )
    os.replace(temporary, target)
    return target


def _remove_leftovers(folder: Path) -> None:
    """Delete the temporary files of backups that were killed more than a day ago."""
    if not folder.is_dir():
        return
    limit = timezone.now().timestamp() - 24 * 3600
    for path in folder.glob("%s*" % TEMPORARY_PREFIX):
        if path.stat().st_mtime < limit:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def last_successful() -> BackupRun | None:
    return BackupRun.objects.filter(status=BackupStatus.SUCCEEDED).order_by("-finished_at").first()


def backup_state() -> tuple[BackupRun | None, str | None]:
    """Return the last successful backup and the French warning shown to the owner, if any.

    The warning reports that there is no backup yet, that the last one failed, or
    that the last success is too old. Both come from one call, so that a page
    showing the two reads the last success once.
    """
    success = last_successful()
    return success, _warning(success)


def _warning(success: BackupRun | None) -> str | None:
    last = BackupRun.objects.exclude(status=BackupStatus.RUNNING).order_by("-started_at", "-id").first()
    if last is not None and last.status == BackupStatus.FAILED:
        return _("La dernière sauvegarde a échoué : %(error)s") % {"error": last.error}
    if success is None:
        return _("Aucune sauvegarde réussie : lancez-en une depuis la page « Sauvegardes ».")
    if success.finished_at and timezone.now() - success.finished_at > STALE_AFTER:
        return _("La dernière sauvegarde réussie date de plus de deux jours.")
    return None
