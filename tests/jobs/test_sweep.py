"""Sweeps: finding due units once, running each once, retrying with backoff, retaking abandoned units."""

from __future__ import annotations

import datetime

import pytest

from ardoise.jobs import tasks
from ardoise.jobs.models import JobRun, JobUnit, RunStatus, UnitStatus
from ardoise.jobs.registry import DueUnit, Job, PermanentFailure, TemporaryFailure, register, unregister
from ardoise.jobs.services import (
    claim,
    discover,
    enqueue_due,
    execute_unit,
    finish_attempt,
    retry_now,
    run_due,
)
from tests.jobs.conftest import DAY, MORNING

pytestmark = pytest.mark.django_db

LEASE = datetime.timedelta(minutes=15)


def unit_of(key: str) -> JobUnit:
    return JobUnit.objects.get(job="tests.recording", key=key)


def run_statuses(key: str) -> list[str]:
    return list(JobRun.objects.filter(unit=unit_of(key)).order_by("id").values_list("status", flat=True))


def test_due_units_are_created_once(recording, clock):
    recording.keys = ["a", "b"]

    discover(recording.job, DAY)
    discover(recording.job, DAY)

    units = JobUnit.objects.filter(job="tests.recording").order_by("key")
    assert [(unit.key, unit.label, unit.status) for unit in units] == [
        ("a", "Unité a", UnitStatus.PENDING),
        ("b", "Unité b", UnitStatus.PENDING),
    ]
    assert units[0].due_on == DAY
    assert units[0].run_after == MORNING


def test_each_unit_runs_once(recording, clock):
    recording.keys = ["a", "b", "c"]

    first = run_due(DAY, [recording.job])
    second = run_due(DAY, [recording.job])

    assert [(outcome.unit.key, outcome.status, outcome.text) for outcome in first.outcomes] == [
        ("a", RunStatus.SUCCEEDED, "Fait : a"),
        ("b", RunStatus.SUCCEEDED, "Fait : b"),
        ("c", RunStatus.SUCCEEDED, "Fait : c"),
    ]
    assert second.outcomes == []
    assert recording.ran == ["a", "b", "c"]
    assert unit_of("a").status == UnitStatus.DONE
    assert unit_of("a").result == "Fait : a"
    assert unit_of("a").finished_at == MORNING
    assert run_statuses("a") == [RunStatus.SUCCEEDED]


def test_failed_unit_waits_for_backoff(recording, clock):
    recording.keys = ["a"]
    recording.failures = {"a": [RuntimeError("serveur indisponible")]}

    failed = run_due(DAY, [recording.job]).outcomes
    clock.shift(59)
    too_early = run_due(DAY, [recording.job]).outcomes
    clock.shift(1)
    retried = run_due(DAY, [recording.job]).outcomes

    assert [(outcome.status, outcome.text, outcome.will_retry) for outcome in failed] == [
        (RunStatus.FAILED, "serveur indisponible", True)
    ]
    assert too_early == []
    assert [outcome.status for outcome in retried] == [RunStatus.SUCCEEDED]
    assert unit_of("a").attempts == 2
    assert unit_of("a").error == ""
    assert run_statuses("a") == [RunStatus.FAILED, RunStatus.SUCCEEDED]


def test_backoff_grows_between_attempts(recording, clock):
    recording.keys = ["a"]
    recording.failures = {"a": [RuntimeError("un"), RuntimeError("deux")]}

    run_due(DAY, [recording.job])
    after_first = unit_of("a").run_after
    clock.move_to(after_first)
    run_due(DAY, [recording.job])
    after_second = unit_of("a").run_after

    assert after_first == MORNING + datetime.timedelta(minutes=1)
    assert after_second == after_first + datetime.timedelta(minutes=2)
    assert unit_of("a").error == "deux"


def test_unit_fails_after_max_attempts(recording, clock):
    recording.keys = ["a"]
    recording.failures = {"a": [RuntimeError("un"), RuntimeError("deux"), RuntimeError("trois")]}

    for _attempt in range(3):
        run_due(DAY, [recording.job])
        clock.move_to(unit_of("a").run_after)
    clock.shift(3600)
    later = run_due(DAY, [recording.job]).outcomes

    unit = unit_of("a")
    assert unit.status == UnitStatus.FAILED
    assert unit.attempts == 3
    assert unit.error == "trois"
    assert unit.finished_at is not None
    assert later == []
    assert recording.ran == ["a", "a", "a"]


def test_temporary_failure_logged_without_traceback(recording, clock, caplog):
    recording.keys = ["a"]
    recording.failures = {"a": [TemporaryFailure("serveur indisponible")]}

    outcomes = run_due(DAY, [recording.job]).outcomes

    records = [record for record in caplog.records if record.name == "ardoise.jobs.services"]
    assert [(outcome.status, outcome.will_retry) for outcome in outcomes] == [(RunStatus.FAILED, True)]
    assert [record.getMessage() for record in records] == [
        "unit failed job=tests.recording unit=%s attempt=1 error=serveur indisponible" % unit_of("a").pk
    ]
    assert records[0].exc_info is None


def test_unexpected_error_logged_with_traceback(recording, clock, caplog):
    recording.keys = ["a"]
    recording.failures = {"a": [KeyError("client")]}

    run_due(DAY, [recording.job])

    records = [record for record in caplog.records if record.name == "ardoise.jobs.services"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert unit_of("a").error == "'client'"


def test_permanent_failure_stops_at_once(recording, clock):
    recording.keys = ["a"]
    recording.failures = {"a": [PermanentFailure("Adresse refusée")]}

    outcomes = run_due(DAY, [recording.job]).outcomes

    assert [(outcome.status, outcome.will_retry) for outcome in outcomes] == [(RunStatus.FAILED, False)]
    assert unit_of("a").status == UnitStatus.FAILED
    assert unit_of("a").error == "Adresse refusée"


def test_not_before_delays_first_attempt(recording, clock):
    recording.keys = ["a"]
    recording.not_before = MORNING + datetime.timedelta(minutes=5)

    early = run_due(DAY, [recording.job]).outcomes
    clock.shift(300)
    on_time = run_due(DAY, [recording.job]).outcomes

    assert early == []
    assert [outcome.unit.key for outcome in on_time] == ["a"]


def test_running_unit_is_not_taken_before_lease_ends(recording, clock):
    recording.keys = ["a"]
    discover(recording.job, DAY)
    assert claim(unit_of("a").pk) is not None

    clock.shift(LEASE - datetime.timedelta(seconds=1))
    outcomes = run_due(DAY, [recording.job]).outcomes

    assert outcomes == []
    assert recording.ran == []
    assert unit_of("a").status == UnitStatus.RUNNING


def test_abandoned_running_unit_is_taken_again(recording, clock):
    recording.keys = ["a"]
    discover(recording.job, DAY)
    # A worker claims the unit, then dies without finishing it.
    assert claim(unit_of("a").pk) is not None

    clock.shift(LEASE)
    outcomes = run_due(DAY, [recording.job]).outcomes

    interrupted = JobRun.objects.get(unit=unit_of("a"), attempt=1)
    assert [outcome.status for outcome in outcomes] == [RunStatus.SUCCEEDED]
    assert recording.ran == ["a"]
    assert unit_of("a").status == UnitStatus.DONE
    assert unit_of("a").attempts == 2
    assert run_statuses("a") == [RunStatus.INTERRUPTED, RunStatus.SUCCEEDED]
    assert interrupted.finished_at == MORNING + LEASE
    assert "s'est arrêté avant la fin" in interrupted.error


def test_late_worker_does_not_overwrite_new_owner(recording, clock):
    recording.keys = ["a"]
    discover(recording.job, DAY)
    late = claim(unit_of("a").pk)
    clock.shift(LEASE)
    execute_unit(unit_of("a").pk)

    finish_attempt(late, recording.job, RunStatus.FAILED, "trop tard", retry=True)

    unit = unit_of("a")
    assert unit.status == UnitStatus.DONE
    assert unit.result == "Fait : a"
    assert unit.error == ""
    assert JobRun.objects.get(unit=unit, attempt=1).error == "trop tard"


def test_unit_that_keeps_dying_is_given_up(recording, clock):
    recording.keys = ["a"]
    discover(recording.job, DAY)
    for _attempt in range(3):
        assert claim(unit_of("a").pk) is not None
        clock.shift(LEASE)

    outcome = execute_unit(unit_of("a").pk)

    assert outcome.status == RunStatus.FAILED
    assert unit_of("a").status == UnitStatus.FAILED
    assert unit_of("a").error == "Abandonnée : 3 tentatives se sont arrêtées avant la fin."
    assert recording.ran == []


def test_claimed_unit_cannot_be_claimed_twice(recording, clock):
    recording.keys = ["a"]
    discover(recording.job, DAY)

    first = claim(unit_of("a").pk)
    second = claim(unit_of("a").pk)

    assert first is not None
    assert second is None
    assert unit_of("a").attempts == 1


def test_unit_of_unregistered_job_is_left_alone(recording, clock):
    recording.keys = ["a"]
    discover(recording.job, DAY)
    unregister(recording.job.name)

    assert execute_unit(unit_of("a").pk) is None
    assert unit_of("a").status == UnitStatus.PENDING


def test_enqueue_due_queues_unit_once_per_lease(recording, clock):
    recording.keys = ["a", "b"]
    queued: list[int] = []

    first = enqueue_due(DAY, queued.append)
    again = enqueue_due(DAY, queued.append)
    clock.shift(LEASE)
    after_lease = enqueue_due(DAY, queued.append)

    ids = [unit_of("a").pk, unit_of("b").pk]
    assert first == 2
    assert again == 0
    assert after_lease == 2
    assert queued == ids + ids
    assert unit_of("a").enqueued_at == MORNING + LEASE


def test_periodic_sweep_runs_due_units_through_queue(recording, clock):
    recording.keys = ["a", "b"]

    tasks.sweep()

    assert recording.ran == ["a", "b"]
    assert unit_of("b").status == UnitStatus.DONE


def test_broken_job_does_not_stop_others(recording, clock):
    def broken(day):
        raise RuntimeError("table introuvable")

    other = Job(name="tests.broken", label="Cassée", find_due=broken, run=lambda unit: "")
    register(other)
    recording.keys = ["a"]
    try:
        report = run_due(DAY, [other, recording.job])
    finally:
        unregister("tests.broken")

    assert report.discovery_errors == {"tests.broken": "table introuvable"}
    assert recording.ran == ["a"]


def test_retry_now_gives_failed_unit_new_attempts(recording, clock):
    recording.keys = ["a"]
    recording.failures = {"a": [PermanentFailure("non")]}
    run_due(DAY, [recording.job])
    clock.shift(3600)

    assert retry_now(unit_of("a")) is True
    assert retry_now(unit_of("a")) is False
    outcomes = run_due(DAY, [recording.job]).outcomes

    assert [outcome.status for outcome in outcomes] == [RunStatus.SUCCEEDED]
    assert unit_of("a").attempts == 1
    assert run_statuses("a") == [RunStatus.FAILED, RunStatus.SUCCEEDED]


def test_labels_are_cut_to_column_size(recording, clock):
    long = DueUnit(key="long", label="é" * 400)
    job = Job(name="tests.long", label="Longue", find_due=lambda day: [long], run=lambda unit: "")

    discover(job, DAY)

    assert len(JobUnit.objects.get(job="tests.long").label) == 300
