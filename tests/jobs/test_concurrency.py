"""Two sweeps running at the same time, each with its own database connection, never run a unit twice."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from ardoise.jobs.models import JobRun, JobUnit, UnitStatus
from ardoise.jobs.services import SweepReport, claim, discover, run_due
from tests.jobs.conftest import DAY

KEYS = ["unit-%02d" % number for number in range(30)]
SWEEPS = 3


def in_thread[T](function: Callable[[], T]) -> T:
    """Run ``function`` in a new thread, so that it opens its own database connection."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(function())
        except BaseException as error:  # re-raised below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def sweep_concurrently(job) -> tuple[list[SweepReport], list[BaseException]]:
    barrier = threading.Barrier(SWEEPS)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            reports.append(run_due(DAY, [job]))
        except BaseException as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(SWEEPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports, errors


def claim_concurrently(unit_ids: list[int]) -> tuple[dict[int, int], list[BaseException]]:
    """Have ``SWEEPS`` threads try to claim each unit at the same moment; count the winners per unit."""
    barrier = threading.Barrier(SWEEPS)
    winners = dict.fromkeys(unit_ids, 0)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def contend() -> None:
        try:
            connection.ensure_connection()
            for unit_id in unit_ids:
                barrier.wait()
                if claim(unit_id) is not None:
                    with lock:
                        winners[unit_id] += 1
        except BaseException as error:  # collected and re-raised in the main thread
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=contend) for _ in range(SWEEPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners, errors


def stored_state() -> dict[str, int]:
    return {
        "done": JobUnit.objects.filter(job="tests.recording", status=UnitStatus.DONE).count(),
        "units": JobUnit.objects.filter(job="tests.recording").count(),
        "runs": JobRun.objects.filter(unit__job="tests.recording").count(),
    }


def check_each_unit_ran_once(recording, reports, errors, state) -> None:
    outcomes = [outcome.unit.key for report in reports for outcome in report.outcomes]
    assert errors == []
    assert sorted(recording.ran) == KEYS
    assert sorted(outcomes) == KEYS
    assert state == {"done": len(KEYS), "units": len(KEYS), "runs": len(KEYS)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_on_postgresql_run_each_unit_once(recording):
    recording.keys = KEYS
    recording.seconds_per_run = 0.01

    reports, errors = sweep_concurrently(recording.job)

    check_each_unit_ran_once(recording, reports, errors, stored_state())


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_on_sqlite_run_each_unit_once(recording, sqlite_file_database):
    recording.keys = KEYS
    recording.seconds_per_run = 0.01

    reports, errors = sweep_concurrently(recording.job)

    check_each_unit_ran_once(recording, reports, errors, in_thread(stored_state))


def unit_ids(recording) -> list[int]:
    discover(recording.job, DAY)
    return list(JobUnit.objects.filter(job="tests.recording").order_by("id").values_list("id", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_claims_on_postgresql_have_one_winner(recording):
    recording.keys = KEYS

    winners, errors = claim_concurrently(unit_ids(recording))

    assert errors == []
    assert set(winners.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_simultaneous_claims_on_sqlite_have_one_winner(recording, request):
    recording.keys = KEYS
    ids = unit_ids(recording)
    request.getfixturevalue("sqlite_file_database")

    winners, errors = claim_concurrently(ids)

    assert errors == []
    assert set(winners.values()) == {1}
