from __future__ import annotations

import datetime
import threading
import time

import pytest
import time_machine

from ardoise.jobs.registry import Backoff, DueUnit, Job, register, unregister

DAY = datetime.date(2026, 12, 4)
# 10:00 in Paris on DAY.
MORNING = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)


class RecordingJob:
    """A job whose due units and failures the test sets, and which records every run.

    ``failures[key]`` lists what the successive attempts at ``key`` raise, None
    for an attempt that succeeds.
    """

    def __init__(self, name: str = "tests.recording", organisation_id: int | None = None) -> None:
        self.keys: list[str] = []
        self.not_before: datetime.datetime | None = None
        self.organisation_id = organisation_id
        self.failures: dict[str, list[BaseException | None]] = {}
        self.ran: list[str] = []
        self.seconds_per_run = 0.0
        self._lock = threading.Lock()
        self.job = Job(
            name=name,
            label="Tâche de test",
            find_due=self.find_due,
            run=self.run,
            max_attempts=3,
            backoff=Backoff(first=datetime.timedelta(minutes=1), maximum=datetime.timedelta(minutes=10)),
            timeout=datetime.timedelta(minutes=15),
        )

    def find_due(self, day: datetime.date) -> list[DueUnit]:
        return [
            DueUnit(
                key=key,
                label="Unité %s" % key,
                organisation_id=self.organisation_id,
                not_before=self.not_before,
            )
            for key in self.keys
        ]

    def run(self, unit) -> str:
        with self._lock:
            self.ran.append(unit.key)
            planned = self.failures.get(unit.key)
            failure = planned.pop(0) if planned else None
        if self.seconds_per_run:
            time.sleep(self.seconds_per_run)
        if failure is not None:
            raise failure
        return "Fait : %s" % unit.key


@pytest.fixture
def recording():
    job = RecordingJob()
    register(job.job)
    yield job
    unregister(job.job.name)


@pytest.fixture
def clock():
    """Freeze time at 10:00 in Paris on 4 December 2026; ``clock.shift(seconds)`` moves it on."""
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller
