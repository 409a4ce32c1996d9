"""Checking an archive, and restoring it into this installation, on the same engine or across engines.

Restoring on the same engine loads the database copy (SQLite online backup,
or ``pg_restore``). Across engines, the JSONL rows are loaded into an empty
database migrated to the archive's schema. Either way the installation
changes in one transaction at the end, so a refused or failed restore leaves
it as it was.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from ardoise.backups import tables
from ardoise.backups.archive import Opened, check_schema, open_archive
from ardoise.backups.databases import (
    copy_sqlite_file_into,
    engine,
    pg_dump_list_errors,
    pg_restore_replacing,
    run_ardoise,
    sqlite_alias,
    sqlite_integrity_errors,
)
from ardoise.backups.errors import BackupError

logger = logging.getLogger(__name__)


@dataclass
class ArchiveReport:
    """What ``ardoise backup verify`` found in an archive."""

    manifest: dict[str, Any]
    encrypted: bool
    database_errors: list[str] = field(default_factory=list)
    count_errors: list[str] = field(default_factory=list)
    chain_output: str = ""
    chain_ok: bool = False

    @property
    def ok(self) -> bool:
        return not self.database_errors and not self.count_errors and self.chain_ok


def verify_archive(path: Path, passphrase: str | None = None) -> ArchiveReport:
    """Check every checksum, the database copy's integrity, the row counts, and the invoices' hash chain.

    A damaged archive raises ``BackupError``; problems found in a readable
    archive are listed in the report.
    """
    with open_archive(path, passphrase) as opened:
        check_schema(opened)
        report = ArchiveReport(manifest=opened.manifest, encrypted=opened.encrypted)
        if opened.engine == "sqlite":
            report.database_errors = sqlite_integrity_errors(opened.database)
        else:
            report.database_errors = pg_dump_list_errors(opened.database)
        report.count_errors = _count_errors(opened)
        if report.database_errors or report.count_errors:
            return report

        with tempfile.TemporaryDirectory(prefix=".ardoise-verify-", dir=settings.BACKUP_SCRATCH_DIR) as scratch:
            database = build_sqlite_copy(opened, Path(scratch))
            # ``ardoise verify`` runs in a child process whose only database is the restored copy.
            completed = run_ardoise(["verify"], database)
        report.chain_output = (completed.stdout + completed.stderr).strip()
        report.chain_ok = completed.returncode == 0
    return report


def _count_errors(opened: Opened) -> list[str]:
    errors = []
    for table, expected in sorted(opened.manifest["counts"].items()):
        path = opened.tables / ("%s.jsonl" % table)
        found = 0
        if path.exists():
            with open(path, "rb") as handle:
                found = sum(1 for line in handle if line.strip())
        if found != expected:
            errors.append(
                _("Table %(table)s : %(found)s lignes au lieu des %(expected)s annoncées par le manifeste.")
                % {"table": table, "found": found, "expected": expected}
            )
    return errors


def build_sqlite_copy(opened: Opened, scratch: Path) -> Path:
    """Build a SQLite database of the archive's data, migrated to this version's schema, in ``scratch``."""
    database = scratch / "ardoise.sqlite3"
    if opened.engine == "sqlite":
        shutil.copyfile(opened.database, database)
        if _is_current(opened.manifest["migrations"]):
            return database
    else:
        _migrate_to(database, opened.manifest["migrations"])
        with sqlite_alias(database) as alias:
            registry = _state_apps(alias, opened.manifest["migrations"])
            with transaction.atomic(using=alias):
                tables.flush_tables(alias, registry)
                tables.load_tables(opened.tables, alias, registry)
    _migrate_to(database, None)
    return database


def _is_current(migrations: dict[str, list[str]]) -> bool:
    """Tell whether the archive's applied migrations are exactly those of this version."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    return {(app, name) for app, names in migrations.items() for name in names} == known


def _leaf_targets(connection: Any, migrations: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Return, per app, the archive's last applied migration (the one no other applied migration follows)."""
    graph = MigrationExecutor(connection).loader.graph
    applied = {(app, name) for app, names in migrations.items() for name in names}
    targets = []
    for node in sorted(applied):
        children = {child for child in graph.node_map[node].children if child[0] == node[0]}
        if not children & applied:
            targets.append(node)
    return targets


def _state_apps(alias: str, migrations: dict[str, list[str]]) -> Any:
    executor = MigrationExecutor(connections[alias])
    return executor.loader.project_state(_leaf_targets(connections[alias], migrations), at_end=True).apps


def _migrate_to(database: Path, migrations: dict[str, list[str]] | None) -> None:
    """Migrate the SQLite file to the archive's schema (``migrations``), or to this version's when None.

    Migrations run in a child process whose default database is the file,
    because data migrations read and write the default database.
    """
    if migrations is None or _is_current(migrations):
        commands = [["migrate", "--noinput"]]
    else:
        with sqlite_alias(database) as alias:
            targets = _leaf_targets(connections[alias], migrations)
        commands = [["migrate", "--noinput", app, name] for app, name in targets]
    for command in commands:
        completed = run_ardoise(command, database)
        if completed.returncode != 0:
            logger.error("migration of the scratch database failed command=%s output=%s", command, completed.stderr)
            raise BackupError(
                _("La mise à jour du schéma de la copie a échoué : %(detail)s")
                % {"detail": completed.stderr.strip().splitlines()[-1:] or completed.returncode}
            )


# Restore


def installation_is_empty() -> bool:
    """Tell whether the live database contains no organisation and no user (tables missing count as empty)."""
    from ardoise.accounts.models import Organisation, User

    existing = tables.table_names()
    for model in (Organisation, User):
        if model._meta.db_table in existing and model._base_manager.exists():
            return False
    return True


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    safety_backup: Path | None


def restore_archive(path: Path, passphrase: str | None = None, *, replace: bool = False) -> Restored:
    """Restore the archive into this installation; ``replace`` allows overwriting data after a safety backup."""
    from ardoise.backups.models import BackupKind
    from ardoise.backups.services import run_backup

    with open_archive(path, passphrase) as opened:
        check_schema(opened)
        safety = None
        if not installation_is_empty():
            if not replace:
                raise BackupError(
                    _(
                        "Cette installation contient déjà des données : restaurez dans une installation vide, ou "
                        "ajoutez --replace pour les remplacer (une sauvegarde de sécurité est faite d'abord)."
                    )
                )
            run = run_backup(BackupKind.SAFETY, passphrase=None)
            if run.error:
                raise BackupError(
                    _("La sauvegarde de sécurité a échoué, rien n'a été restauré : %(error)s") % {"error": run.error}
                )
            safety = Path(run.path)
        with tempfile.TemporaryDirectory(prefix=".ardoise-restore-", dir=settings.BACKUP_SCRATCH_DIR) as scratch:
            _restore_into_live(opened, Path(scratch))
    logger.info("backup restored archive=%s engine=%s into=%s", path, opened.engine, engine())
    return Restored(manifest=opened.manifest, safety_backup=safety)


def _restore_into_live(opened: Opened, scratch: Path) -> None:
    _restore_database(opened, scratch)
    _restore_media(opened)


def _restore_media(opened: Opened) -> None:
    """Put the archive's files under MEDIA_ROOT, in place of the current ones."""
    media = Path(settings.MEDIA_ROOT)
    if media.exists():
        shutil.rmtree(media)
    if opened.media.is_dir():
        shutil.copytree(opened.media, media)


def _restore_database(opened: Opened, scratch: Path) -> None:
    target_engine = engine()
    if target_engine == "postgresql" and opened.engine == "postgresql":
        pg_restore_replacing(opened.database, scratch)
        _migrate_live()
        return

    database = build_sqlite_copy(opened, scratch)
    if target_engine == "sqlite":
        live = Path(connections["default"].settings_dict["NAME"])
        if str(live).startswith(":memory:") or "mode=memory" in str(live):
            raise BackupError(_("Impossible de restaurer dans une base SQLite en mémoire."))
        connections["default"].close()
        copy_sqlite_file_into(database, live)
        return

    # SQLite archive into PostgreSQL: bring the schema up to date, then replace every row in one transaction.
    _migrate_live()
    rows = scratch / "rows"
    with sqlite_alias(database) as alias:
        tables.dump_tables(rows, alias)
    with transaction.atomic():
        tables.flush_tables("default")
        tables.load_tables(rows, "default")


def _migrate_live() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
