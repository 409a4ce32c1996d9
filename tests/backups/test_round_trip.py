"""SQLite → archive → PostgreSQL → archive → SQLite: the path of a business that outgrows one machine, and back."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from ardoise.backups.rotation import archives

from .conftest import Installation


def model_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Read every table of a SQLite file through the models, so that values compare by meaning.

    PostgreSQL stores JSON as jsonb, which orders keys its own way: comparing
    the JSON text would see differences that the values do not have.
    """
    from ardoise.backups.databases import sqlite_alias
    from ardoise.backups.tables import all_models

    with sqlite_alias(path) as alias:
        return {
            model._meta.db_table: list(
                model._base_manager.using(alias)
                .order_by("pk")
                .values_list(*[field.attname for field in model._meta.concrete_fields])
            )
            for model in all_models()
        }


def archived_database(archive: Path, folder: Path) -> Path:
    with tarfile.open(archive, "r:gz") as source:
        (folder / "database.sqlite3").write_bytes(source.extractfile("database.sqlite3").read())
    return folder / "database.sqlite3"


@pytest.mark.postgres
@pytest.mark.django_db
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
    source = model_rows(archived_database(demo_archive, tmp_path))
    result = model_rows(back.sqlite_path)
    assert sorted(source) == sorted(result)
    # The PostgreSQL installation's own backup is one more run in the log, recorded as it started.
    source_runs, result_runs = source.pop("backups_backuprun"), result.pop("backups_backuprun")
    assert result_runs[: len(source_runs)] == source_runs
    assert len(result_runs) == len(source_runs) + 1
    for table, rows in source.items():
        assert rows == result[table], table
    assert sum(len(rows) for rows in source.values()) > 300
