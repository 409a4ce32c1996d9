"""SQLite → archive → PostgreSQL → archive → SQLite: the path of a business that outgrows one machine, and back."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from pathlib import Path

import pytest

from ardoise.backups.rotation import archives

from .conftest import Installation


def normalised(value: object) -> object:
    """Parse JSON text, because PostgreSQL's jsonb orders keys its own way; other values compare as stored."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def table_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Read every table of a SQLite file in id order, except Django's migration log whose ids differ."""
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if row[0] != "django_migrations" and not row[0].startswith("sqlite_")
        ]
        return {
            name: [
                tuple(normalised(value) for value in row)
                for row in connection.execute('SELECT * FROM "%s" ORDER BY 1' % name)
            ]
            for name in names
        }
    finally:
        connection.close()


def archived_database(archive: Path, folder: Path) -> Path:
    with tarfile.open(archive, "r:gz") as source:
        (folder / "database.sqlite3").write_bytes(source.extractfile("database.sqlite3").read())
    return folder / "database.sqlite3"


@pytest.mark.postgres
def test_round_trip_sqlite_postgresql_sqlite(demo_archive, postgres_database, tmp_path):
    """SQLite → archive → PostgreSQL → archive → SQLite gives back every table, row for row."""
    on_postgresql = Installation(tmp_path / "pg", database_url=postgres_database)
    on_postgresql.run("restore", str(demo_archive))
    assert "chaîne intacte" in on_postgresql.run("verify").stdout
    output = tmp_path / "pg-archive"
    on_postgresql.run("backup", "--output", str(output))
    (pg_archive,) = archives(output)
    assert "chaîne intacte" in on_postgresql.run("backup", "verify", str(pg_archive)).stdout

    back = Installation(tmp_path / "back")
    back.run("restore", str(pg_archive))

    assert "chaîne intacte" in back.run("verify").stdout
    source = table_rows(archived_database(demo_archive, tmp_path))
    result = table_rows(back.sqlite_path)
    assert sorted(source) == sorted(result)
    # The PostgreSQL installation's own backup is one more run in the log, recorded as it started.
    source_runs, result_runs = source.pop("backups_backuprun"), result.pop("backups_backuprun")
    assert result_runs[: len(source_runs)] == source_runs
    assert len(result_runs) == len(source_runs) + 1
    for table, rows in source.items():
        assert rows == result[table], table
    assert sum(len(rows) for rows in source.values()) > 300
