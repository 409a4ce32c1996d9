"""``ardoise backup`` and ``backup verify`` on the test database, SQLite or PostgreSQL as the pass runs."""

from __future__ import annotations

import datetime
import io
import json
import tarfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ardoise.backups.models import BackupKind, BackupRun, BackupStatus
from ardoise.backups.rotation import archives
from ardoise.invoicing.models import IssuedFile

from .conftest import Installation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid_invoice(issued_invoice, owner):
    from ardoise.payments.services import record_payment

    record_payment(issued_invoice, Decimal("100.00"), datetime.date(2026, 12, 4), user=owner)
    return issued_invoice


def run_command(*arguments: str) -> str:
    output = io.StringIO()
    call_command(*arguments, stdout=output)
    return output.getvalue()


def manifest_of(path) -> dict:
    with tarfile.open(path, "r:gz") as archive:
        return json.loads(archive.extractfile("manifest.json").read())


def test_backup_writes_verified_archive(paid_invoice, tmp_path):
    printed = run_command("backup", "--output", str(tmp_path))

    (archive,) = archives(tmp_path)
    assert "Sauvegarde écrite : %s" % archive in printed
    manifest = manifest_of(archive)
    assert manifest["engine"] == connection.vendor
    assert manifest["counts"]["invoicing_invoice"] == 1
    assert manifest["counts"]["payments_payment"] == 1
    assert manifest["counts"]["integrity_chainrecord"] == 3
    run = BackupRun.objects.get()
    assert (run.kind, run.status, run.path, run.size) == (
        BackupKind.MANUAL,
        BackupStatus.SUCCEEDED,
        str(archive),
        archive.stat().st_size,
    )

    verified = run_command("backup", "verify", str(archive))
    assert "contrôle d'intégrité réussi" in verified
    assert "3 enregistrements vérifiés" in verified
    assert "chaîne intacte" in verified


def test_verify_detects_flipped_byte(issued_invoice, tmp_path):
    run_command("backup", "--output", str(tmp_path))
    (archive,) = archives(tmp_path)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="endommagée"):
        run_command("backup", "verify", str(archive))


def test_verify_reports_broken_chain(issued_invoice, tmp_path):
    """An archive whose rows were altered before the backup verifies its checksums, not its chain."""
    from ardoise.invoicing import triggers

    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        # The test commits, so the triggers are put back by hand rather than by a rollback.
        for statement in triggers.POSTGRESQL_DROP if postgresql else triggers.SQLITE_DROP:
            cursor.execute(statement)
        cursor.execute(
            "UPDATE invoicing_invoice SET total_with_vat = %s WHERE id = %s", [Decimal("1.00"), issued_invoice.pk]
        )
        for statement in triggers.POSTGRESQL_CREATE if postgresql else triggers.SQLITE_CREATE:
            cursor.execute(statement)
    run_command("backup", "--output", str(tmp_path))
    (archive,) = archives(tmp_path)

    with pytest.raises(CommandError, match="n'a pas passé la vérification"):
        run_command("backup", "verify", str(archive))


def test_backup_into_unwritable_folder_fails_in_french(issued_invoice, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    with pytest.raises(CommandError, match="La sauvegarde a échoué"):
        run_command("backup", "--output", str(blocker / "backups"))

    assert BackupRun.objects.get().status == BackupStatus.FAILED


def test_verify_requires_a_file():
    with pytest.raises(CommandError, match="ardoise backup verify FICHIER"):
        run_command("backup", "verify")


@pytest.mark.postgres
def test_postgresql_archive_restores_into_postgresql(paid_invoice, tmp_path, postgres_database):
    run_command("backup", "--output", str(tmp_path))
    (archive,) = archives(tmp_path)
    assert manifest_of(archive)["database"] == "database.pgdump"
    target = Installation(tmp_path / "target", database_url=postgres_database)

    target.run("restore", str(archive))
    replaced = target.run("restore", str(archive), "--replace")

    assert "Sauvegarde de sécurité" in replaced.stdout
    assert "chaîne intacte" in target.run("verify").stdout
    pdf = bytes(IssuedFile.objects.get().pdf)
    assert [bytes(row[0]) for row in target.query("SELECT pdf FROM invoicing_issuedfile")] == [pdf]
