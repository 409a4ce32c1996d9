"""``ardoise run-scheduled`` and ``ardoise worker``: French output, exit statuses, bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ardoise.jobs.management.commands.worker import describe_queue
from ardoise.jobs.models import JobUnit, UnitStatus
from ardoise.jobs.registry import register, unregister
from tests.jobs.conftest import RecordingJob

pytestmark = pytest.mark.django_db

ARDOISE = Path(sys.executable).parent / "ardoise"


def run_scheduled(*args: str) -> str:
    output = io.StringIO()
    call_command("run-scheduled", *args, stdout=output)
    return output.getvalue()


def test_nothing_due_says_so(clock):
    assert run_scheduled("--date", "2026-12-04") == "Aucune tâche à exécuter pour le 04/12/2026.\n"


def test_default_date_is_today_in_paris(recording):
    import time_machine

    # 23:30 UTC on 4 December is already 5 December in Paris.
    with time_machine.travel("2026-12-04 23:30 +00:00", tick=False):
        output = run_scheduled()

    assert output == "Aucune tâche à exécuter pour le 05/12/2026.\n"


def test_output_lists_each_unit(recording, clock):
    recording.keys = ["a", "b", "c"]

    output = run_scheduled("--date", "2026-12-04")

    assert output.splitlines() == [
        "3 tâches exécutées : 3 réussies, 0 en échec.",
        "  ✓ Tâche de test — Unité a : Fait : a",
        "  ✓ Tâche de test — Unité b : Fait : b",
        "  ✓ Tâche de test — Unité c : Fait : c",
    ]


def test_failed_unit_exits_non_zero(recording, clock):
    recording.keys = ["a", "b"]
    recording.failures = {"b": [RuntimeError("connexion refusée")]}
    output = io.StringIO()

    with pytest.raises(CommandError, match=r"^1 tâche en échec\.$") as raised:
        call_command("run-scheduled", "--date", "2026-12-04", stdout=output)

    assert raised.value.returncode == 1
    assert output.getvalue().splitlines() == [
        "2 tâches exécutées : 1 réussie, 1 en échec.",
        "  ✓ Tâche de test — Unité a : Fait : a",
        "  ✗ Tâche de test — Unité b : connexion refusée (nouvel essai après le 04/12/2026 10:01)",
    ]


def test_abandoned_unit_says_after_how_many_attempts(recording, clock):
    from ardoise.jobs.registry import PermanentFailure

    recording.keys = ["a"]
    recording.failures = {"a": [PermanentFailure("adresse refusée")]}
    output = io.StringIO()

    with pytest.raises(CommandError):
        call_command("run-scheduled", stdout=output)

    assert "  ✗ Tâche de test — Unité a : adresse refusée (abandonnée après 1 tentative)" in output.getvalue()


def test_job_option_runs_only_that_job(recording, clock):
    other = RecordingJob(name="tests.other")
    other.keys = ["x"]
    recording.keys = ["a"]
    register(other.job)
    try:
        output = run_scheduled("--job", "tests.other")
    finally:
        unregister("tests.other")

    assert other.ran == ["x"]
    assert recording.ran == []
    assert output.splitlines()[0] == "1 tâche exécutée : 1 réussie, 0 en échec."
    assert not JobUnit.objects.filter(job="tests.recording").exists()


def test_unknown_job_is_usage_error(recording):
    expected = "Tâche « envoi » inconnue : choisissez parmi .*mailing.retry_failed"
    with pytest.raises(CommandError, match=expected) as raised:
        run_scheduled("--job", "envoi")

    assert raised.value.returncode == 2


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("2026-02-30", "n'existe pas dans le calendrier"), ("04-12-2026", "invalide"), ("demain", "invalide")],
)
def test_bad_date_names_value_and_format(raw, problem):
    with pytest.raises(CommandError, match="--date : (la )?date « %s » %s" % (raw, problem)) as raised:
        run_scheduled("--date", raw)

    assert raised.value.returncode == 2


def test_broken_job_is_reported_and_fails(recording, clock):
    from ardoise.jobs.registry import Job

    def broken(day):
        raise RuntimeError("table introuvable")

    register(Job(name="tests.broken", label="Cassée", find_due=broken, run=lambda unit: ""))
    try:
        output = io.StringIO()
        with pytest.raises(CommandError, match="1 tâche en échec"):
            call_command("run-scheduled", stdout=output)
    finally:
        unregister("tests.broken")

    assert "  ✗ Cassée : impossible de lister le travail dû : table introuvable" in output.getvalue()


def test_run_scheduled_takes_units_left_by_worker(recording, clock):
    recording.keys = ["a"]
    run_scheduled()
    JobUnit.objects.filter(key="a").update(status=UnitStatus.PENDING)

    output = run_scheduled()

    assert recording.ran == ["a", "a"]
    assert output.startswith("1 tâche exécutée")


def test_real_command_exits_2_on_bad_date(tmp_path):
    environment = {**os.environ, "ARDOISE_VAR_DIR": str(tmp_path)}
    environment.pop("DATABASE_URL", None)

    result = subprocess.run(
        [str(ARDOISE), "run-scheduled", "--date", "2026-13-01"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Erreur : --date : la date « 2026-13-01 » n'existe pas dans le calendrier : vérifiez le jour et le mois."
    )
    assert result.stdout == ""


def test_worker_needs_one_worker_at_least():
    with pytest.raises(CommandError, match=r"--workers 0 invalide : indiquez au moins 1\.") as raised:
        call_command("worker", "--workers", "0")

    assert raised.value.returncode == 2


def test_worker_names_queue_without_password(settings):
    settings.REDIS_URL = "redis://:secret@redis.example:6380/5"

    assert describe_queue() == "Redis redis.example:6380/5"


def test_worker_names_sqlite_queue_file(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.HUEY = {**settings.HUEY, "filename": str(tmp_path / "huey.sqlite3")}

    assert describe_queue() == "SQLite %s" % (tmp_path / "huey.sqlite3")
