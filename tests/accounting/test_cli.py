"""``ardoise export fec``: the file, its check, and French errors with exit code 2 for usage mistakes."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from ardoise.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    output = io.StringIO()
    call_command("export", *args, stdout=output, stderr=io.StringIO())
    return output.getvalue()


def test_export_writes_file_and_check_passes(autumn, tmp_path):
    output = run("--organisation", str(autumn.organisation.pk), "fec", "--year", "2026", "--output", str(tmp_path))
    path = tmp_path / "732829320FEC20261231.txt"

    assert output.startswith("%s : 16 écriture(s), " % path)
    assert "exercice du 01/01/2026 au 31/12/2026" in output
    assert path.read_bytes().startswith(b"JournalCode\tJournalLib\tEcritureNum")
    assert run("fec", "--check", str(path)).startswith("FEC conforme : 16 écriture(s)")
    assert AuditEntry.objects.filter(action="fec.exported", organisation=autumn.organisation).count() == 1


def test_export_in_utf8(autumn, tmp_path):
    run(
        "--organisation",
        str(autumn.organisation.pk),
        "fec",
        "--year",
        "2026",
        "--output",
        str(tmp_path),
        "--encoding",
        "utf-8",
    )

    text = (tmp_path / "732829320FEC20261231.txt").read_text(encoding="utf-8")

    assert "Cabinet Durand & Associés" in text


def test_check_reports_problems_and_fails(tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes(b"Journal;Compte\n")

    with pytest.raises(CommandError) as error:
        run("fec", "--check", str(path))

    assert str(error.value).startswith("2 problème(s) dans export.txt.")


def test_check_of_missing_file_is_explained(tmp_path):
    with pytest.raises(CommandError, match=r"Impossible de lire .*absent\.txt"):
        run("fec", "--check", str(tmp_path / "absent.txt"))


@pytest.mark.parametrize(
    ("year", "message"),
    [("226", "indiquez l'année de clôture de l'exercice sur quatre chiffres"), ("3026", "n'a pas encore commencé")],
)
def test_export_refuses_unlikely_year(autumn, year, message):
    with pytest.raises(CommandError) as error:
        run("--organisation", str(autumn.organisation.pk), "fec", "--year", year)

    assert message in str(error.value)
    assert error.value.returncode == 2


def test_export_refuses_missing_folder(autumn, tmp_path):
    with pytest.raises(CommandError, match=r"Le dossier .* n'existe pas"):
        run("--organisation", str(autumn.organisation.pk), "fec", "--year", "2026", "--output", str(tmp_path / "non"))


def test_journal_written_as_csv(autumn, tmp_path):
    path = tmp_path / "journal.csv"

    output = run(
        "--organisation",
        str(autumn.organisation.pk),
        "journal",
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-30",
        "--output",
        str(path),
    )

    assert output == "%s : 2 écriture(s), 7 ligne(s).\n" % path
    assert path.read_text(encoding="utf-8-sig").splitlines()[1].startswith("VE;01/09/2026;VE000001;")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-13-01", "2026-12-31", "--from : la date « 2026-13-01 » n'existe pas"),
        ("2026-12-31", "2026-01-01", "inversez"),
    ],
)
def test_journal_refuses_bad_dates(autumn, tmp_path, start, end, message):
    with pytest.raises(CommandError, match=message) as error:
        run("journal", "--from", start, "--to", end, "--output", str(tmp_path / "j.csv"))

    assert error.value.returncode == 2
