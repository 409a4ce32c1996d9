"""Engine-specific steps: a consistent copy of the live database, scratch SQLite databases, PostgreSQL tools."""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend
from django.utils.translation import gettext as _

from ardoise.backups.errors import BackupError


def engine(using: str = "default") -> str:
    """Return "sqlite" or "postgresql", the engines Ardoise runs on."""
    return connections[using].vendor


def applied_migrations(using: str) -> dict[str, list[str]]:
    """List the applied migrations of each app, sorted by name."""
    applied: dict[str, list[str]] = {}
    for app_label, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app_label, []).append(name)
    return {app_label: sorted(names) for app_label, names in sorted(applied.items())}


@contextlib.contextmanager
def _extra_connection(settings_dict: dict[str, Any]) -> Iterator[str]:
    """Open a connection under a new alias, for this thread only, for the duration of the block.

    The connection is not added to the DATABASES settings, so other threads
    and ``connections.all()`` never see it.
    """
    alias = "backups_%s" % uuid.uuid4().hex[:12]
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    setattr(connections._connections, alias, wrapper)
    try:
        yield alias
    finally:
        wrapper.close()
        delattr(connections._connections, alias)


def sqlite_alias(path: Path) -> contextlib.AbstractContextManager[str]:
    """Open the SQLite file ``path`` under an extra Django database alias for the duration of the block."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict.update(ENGINE="django.db.backends.sqlite3", NAME=str(path), OPTIONS={"timeout": 20})
    settings_dict.update(HOST="", PORT="", USER="", PASSWORD="")
    return _extra_connection(settings_dict)


def postgresql_alias() -> contextlib.AbstractContextManager[str]:
    """Open a second connection to the live PostgreSQL database, for a transaction of its own."""
    return _extra_connection(copy.deepcopy(connections["default"].settings_dict))


def copy_sqlite(target: Path) -> None:
    """Copy the live SQLite database with the online backup API, in one step, so the copy is one snapshot.

    The backup reads every page under one read transaction: writers in WAL
    mode go on meanwhile, and their changes are not in the copy.
    """
    connection = connections["default"]
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()


def sqlite_integrity_errors(path: Path) -> list[str]:
    """Run ``PRAGMA integrity_check`` on a SQLite file; return its complaints (empty when sound)."""
    try:
        database = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            rows = database.execute("PRAGMA integrity_check").fetchall()
        finally:
            database.close()
    except sqlite3.DatabaseError as error:
        return [str(error)]
    messages = [row[0] for row in rows]
    return [] if messages == ["ok"] else messages


def copy_sqlite_file_into(source: Path, target: Path) -> None:
    """Replace the content of the SQLite database ``target`` by ``source`` in one transaction."""
    origin = sqlite3.connect(source)
    destination = sqlite3.connect(target, timeout=20)
    try:
        origin.backup(destination)
    finally:
        origin.close()
        destination.close()


# PostgreSQL client tools


def pg_tool(name: str) -> str:
    """Find ``pg_dump``, ``pg_restore`` or ``psql``: in ARDOISE_PG_BIN_DIR when set, else on the PATH."""
    folder = settings.BACKUP_PG_BIN_DIR
    found = shutil.which(name, path=folder) if folder else shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "Le programme « %(name)s » est introuvable : installez les outils clients de PostgreSQL "
                "(paquet postgresql-client) ou indiquez leur dossier dans ARDOISE_PG_BIN_DIR."
            )
            % {"name": name}
        )
    return found


def pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """Return the libpq variables that point the client tools at the database of ``settings_dict``."""
    environment = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGDATABASE": settings_dict.get("NAME") or "",
    }
    environment.update({name: value for name, value in values.items() if value})
    return environment


def _major_version(text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", text)
    return int(match.group(1)) if match else 0


def check_pg_dump_version(using: str = "default") -> str:
    """Return the path of pg_dump, refusing one older than the server (it would not read its catalogue)."""
    pg_dump = pg_tool("pg_dump")
    output = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True).stdout
    client = _major_version(output.rsplit(" ", 1)[-1])
    server = connections[using].pg_version // 10000
    if client < server:
        raise BackupError(
            _(
                "pg_dump %(client)s est plus ancien que le serveur PostgreSQL %(server)s : installez les outils "
                "clients de PostgreSQL %(server)s ou plus récents, ou indiquez leur dossier dans ARDOISE_PG_BIN_DIR."
            )
            % {"client": client, "server": server}
        )
    return pg_dump


def run_tool(command: list[str], environment: dict[str, str], what: str) -> str:
    """Run a PostgreSQL client tool; raise ``BackupError`` with its message when it fails."""
    completed = subprocess.run(command, capture_output=True, text=True, env=environment)
    if completed.returncode != 0:
        detail = completed.stderr.strip().splitlines()
        raise BackupError(
            _("%(what)s a échoué : %(detail)s")
            % {"what": what, "detail": detail[-1] if detail else completed.returncode}
        )
    return completed.stdout


def pg_dump(target: Path, snapshot: str, using: str) -> None:
    """Dump the database in custom format, as seen by the exported ``snapshot``."""
    program = check_pg_dump_version(using)
    environment = pg_environment(connections[using].settings_dict)
    run_tool(
        [program, "--format=custom", "--snapshot=%s" % snapshot, "--file=%s" % target],
        environment,
        "pg_dump",
    )


def pg_dump_list_errors(path: Path) -> list[str]:
    """Read a custom-format dump's table of contents with ``pg_restore --list``; return its errors."""
    try:
        run_tool([pg_tool("pg_restore"), "--list", str(path)], dict(os.environ), "pg_restore --list")
    except BackupError as error:
        return [str(error)]
    return []


# Drops every table and function of the public schema, so that an older dump can be loaded in its place.
# The functions of an extension (pg_trgm, for the invoice number index) stay, because PostgreSQL
# rejects dropping them one by one. The dump creates its extensions only when they are missing.
DROP_PUBLIC_OBJECTS = """DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE 'DROP TABLE IF EXISTS public.' || quote_ident(item.tablename) || ' CASCADE';
    END LOOP;
    FOR item IN SELECT proc.oid::regprocedure AS signature FROM pg_proc proc
        WHERE proc.pronamespace = 'public'::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_depend dependency WHERE dependency.classid = 'pg_proc'::regclass
                        AND dependency.objid = proc.oid AND dependency.deptype = 'e') LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || item.signature || ' CASCADE';
    END LOOP;
END $$;"""


def pg_restore_replacing(dump: Path, scratch: Path) -> None:
    """Replace the live PostgreSQL database's tables by those of ``dump``, in one transaction.

    pg_restore writes the dump as SQL, and psql runs it after dropping the
    current tables, all in a single transaction: on any error nothing changes.
    The schema has no comments of its own. Leaving comments out skips ``COMMENT
    ON EXTENSION``, which only the extension's owner may run.
    """
    environment = pg_environment(connections["default"].settings_dict)
    script = scratch / "restore.sql"
    run_tool(
        [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--no-comments", "--file=%s" % script, str(dump)],
        environment,
        "pg_restore",
    )
    connections["default"].close()
    run_tool(
        [
            pg_tool("psql"),
            "--quiet",
            "--no-psqlrc",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            "--command=%s" % DROP_PUBLIC_OBJECTS,
            "--file=%s" % script,
        ],
        environment,
        "psql",
    )


def run_ardoise(arguments: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    """Run an ``ardoise`` command in a child process whose database is the SQLite file ``database``."""
    environment = dict(os.environ)
    environment.update(
        DATABASE_URL="sqlite:///%s" % database.resolve(),
        ARDOISE_VAR_DIR=str(database.parent),
        ARDOISE_SECRET_KEY=uuid.uuid4().hex,
        DJANGO_SETTINGS_MODULE="ardoise.settings",
    )
    return subprocess.run(
        [sys.executable, "-m", "ardoise.cli", *arguments], capture_output=True, text=True, env=environment
    )
