"""``ardoise backup``, ``backup verify`` and ``restore`` run as a user would, on installations of their own."""

from __future__ import annotations

import io
import json
import signal
import tarfile
import time
from pathlib import Path

import pytest

from ardoise.backups.rotation import archives

from .conftest import Installation, sqlite_installations_only

# These tests drive SQLite installations of their own in child processes and never touch the test database.
# The PostgreSQL pass skips them, and test_round_trip.py covers installations on PostgreSQL.
pytestmark = sqlite_installations_only

PASSPHRASE = "sel de Guérande 2026"


def issued_files(installation: Installation) -> dict[str, tuple[bytes, bytes]]:
    rows = installation.query(
        "SELECT i.number, f.pdf, f.xml FROM invoicing_issuedfile f JOIN invoicing_invoice i ON i.id = f.invoice_id"
    )
    return {number: (bytes(pdf), bytes(xml)) for number, pdf, xml in rows}


def holds_no_data(installation: Installation) -> bool:
    """Tell whether the installation's SQLite database is missing, has no tables, or has no organisation."""
    if not installation.sqlite_path.exists():
        return True
    if not installation.query("SELECT name FROM sqlite_master WHERE name = 'accounts_organisation'"):
        return True
    return installation.query("SELECT COUNT(*) FROM accounts_organisation")[0][0] == 0


def test_backup_verify_reports_chain(demo_installation, demo_archive):
    completed = demo_installation.run("backup", "verify", str(demo_archive))

    assert "contrôle d'intégrité réussi" in completed.stdout
    assert "chaîne intacte" in completed.stdout
    assert "Archive vérifiée" in completed.stdout


def test_archive_manifest_lists_counts_and_schema(demo_installation, demo_archive):
    with tarfile.open(demo_archive, "r:gz") as archive:
        assert archive.getnames()[0] == "manifest.json"
        manifest = json.loads(archive.extractfile("manifest.json").read())

    assert manifest["engine"] == "sqlite"
    assert manifest["version"]
    assert manifest["schema"]["backups"] == "0001_initial"
    invoices = demo_installation.query("SELECT COUNT(*) FROM invoicing_invoice")[0][0]
    assert manifest["counts"]["invoicing_invoice"] == invoices
    assert "database.sqlite3" in manifest["members"]
    assert len(manifest["members"]["database.sqlite3"]["sha256"]) == 64


def test_restore_into_empty_installation(demo_installation, demo_archive, empty_installation):
    empty_installation.run("restore", str(demo_archive))

    verified = empty_installation.run("verify")
    assert "chaîne intacte" in verified.stdout
    assert issued_files(empty_installation) == issued_files(demo_installation)
    assert len(issued_files(empty_installation)) > 10


def test_restore_refuses_non_empty_installation(demo_installation, demo_archive):
    completed = demo_installation.run("restore", str(demo_archive), check=False)

    assert completed.returncode == 1
    assert "contient déjà des données" in completed.stderr
    assert "--replace" in completed.stderr


def test_restore_replace_takes_safety_backup(demo_archive, empty_installation):
    empty_installation.run("migrate", "--noinput", "-v0")
    empty_installation.run("setup")

    completed = empty_installation.run("restore", str(demo_archive), "--replace")

    assert "Sauvegarde de sécurité" in completed.stdout
    safety = archives(empty_installation.var_dir / "backups")
    assert len(safety) == 1
    names = [row[0] for row in empty_installation.query("SELECT name FROM accounts_organisation")]
    assert names == ["Atelier Lumière SARL"]


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_byte_refused(archive_copy, empty_installation):
    flip_byte(archive_copy, archive_copy.stat().st_size // 2)

    verified = empty_installation.run("backup", "verify", str(archive_copy), check=False)
    restored = empty_installation.run("restore", str(archive_copy), check=False)

    assert verified.returncode == 1
    assert "endommagée" in verified.stderr
    assert restored.returncode == 1
    assert "endommagée" in restored.stderr
    assert holds_no_data(empty_installation)


def test_truncated_archive_refused(archive_copy, empty_installation):
    data = archive_copy.read_bytes()
    archive_copy.write_bytes(data[: len(data) // 2])

    restored = empty_installation.run("restore", str(archive_copy), check=False)

    assert restored.returncode == 1
    assert "endommagée ou tronquée" in restored.stderr
    assert holds_no_data(empty_installation)


def test_missing_archive_refused(empty_installation, tmp_path):
    completed = empty_installation.run("restore", str(tmp_path / "absent.tar.gz"), check=False)

    assert completed.returncode == 1
    assert "introuvable" in completed.stderr


def test_newer_schema_refused(archive_copy, empty_installation, tmp_path):
    rewritten = tmp_path / "newer.tar.gz"
    with tarfile.open(archive_copy, "r:gz") as source, tarfile.open(rewritten, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"]["invoicing"].append("9999_from_the_future")
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))

    completed = empty_installation.run("restore", str(rewritten), check=False)

    assert completed.returncode == 1
    assert "version plus récente" in completed.stderr
    assert "invoicing.9999_from_the_future" in completed.stderr
    assert holds_no_data(empty_installation)


@pytest.fixture(scope="module")
def encrypted_archive(demo_installation, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("encrypted")
    passphrase_file = output / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    demo_installation.run("backup", "--output", str(output), "--passphrase-file", str(passphrase_file))
    (archive,) = output.glob("ardoise-backup-*.tar.gz.enc")
    return archive


def test_encrypted_archive_restores_with_passphrase(demo_installation, encrypted_archive, empty_installation):
    empty_installation.extra_env["ARDOISE_BACKUP_PASSPHRASE"] = PASSPHRASE

    verified = empty_installation.run("backup", "verify", str(encrypted_archive))
    empty_installation.run("restore", str(encrypted_archive))

    assert "chiffrée" in verified.stdout
    assert issued_files(empty_installation) == issued_files(demo_installation)
    assert PASSPHRASE.encode() not in encrypted_archive.read_bytes()


def test_wrong_passphrase_refused(encrypted_archive, empty_installation):
    empty_installation.extra_env["ARDOISE_BACKUP_PASSPHRASE"] = "mauvaise phrase"

    completed = empty_installation.run("restore", str(encrypted_archive), check=False)

    assert completed.returncode == 1
    assert "Phrase secrète incorrecte" in completed.stderr
    assert holds_no_data(empty_installation)


def test_missing_passphrase_refused(encrypted_archive, empty_installation):
    completed = empty_installation.run("backup", "verify", str(encrypted_archive), check=False)

    assert completed.returncode == 1
    assert "ARDOISE_BACKUP_PASSPHRASE" in completed.stderr


def test_empty_passphrase_file_refused(demo_installation, tmp_path):
    passphrase_file = tmp_path / "empty.txt"
    passphrase_file.write_text("\n", encoding="utf-8")

    completed = demo_installation.run(
        "backup", "--output", str(tmp_path), "--passphrase-file", str(passphrase_file), check=False
    )

    assert completed.returncode == 1
    assert "est vide" in completed.stderr
    assert archives(tmp_path) == []


def test_killed_backup_leaves_no_archive(demo_installation, tmp_path):
    """Kill the backup while it writes: nothing under an archive's name, and the leftover does not verify."""
    output = tmp_path / "out"
    process = demo_installation.popen("backup", "--output", str(output))
    deadline = time.monotonic() + 60
    staging = []
    while time.monotonic() < deadline and not staging:
        staging = [path for path in output.glob(".ardoise-backup-*/content/tables/*.jsonl")] if output.exists() else []
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate()

    assert staging, "the backup never reached the table copy"
    assert process.returncode == -signal.SIGKILL
    assert archives(output) == []
    leftovers = [path for path in output.rglob("*") if path.is_file()]
    assert leftovers
    assert all(path.relative_to(output).parts[0].startswith(".ardoise-backup-") for path in leftovers)
    database_copy = next(output.glob(".ardoise-backup-*/content/database.sqlite3"))
    completed = demo_installation.run("backup", "verify", str(database_copy), check=False)
    assert completed.returncode == 1


def test_killed_backup_during_packing_leaves_no_archive(demo_installation, tmp_path):
    output = tmp_path / "out"
    process = demo_installation.popen("backup", "--output", str(output))
    deadline = time.monotonic() + 60
    packing = []
    while time.monotonic() < deadline and not packing:
        packing = list(output.glob(".ardoise-backup-*/archive.tar.gz")) if output.exists() else []
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate()

    assert packing, "the backup never reached the packing step"
    assert archives(output) == []
    completed = demo_installation.run("backup", "verify", str(packing[0]), check=False)
    assert completed.returncode == 1
    assert "endommagée" in completed.stderr
