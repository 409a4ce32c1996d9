"""The registry of scheduled jobs and the backoff schedule of failed attempts."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from ardoise.jobs.registry import Backoff, Job, all_jobs, get_job, register, unregister

MINUTE = datetime.timedelta(minutes=1)


def noop_job(name: str = "tests.noop", **options) -> Job:
    return Job(name=name, label="Rien", find_due=lambda day: [], run=lambda unit: "", **options)


def test_backoff_doubles_up_to_maximum():
    backoff = Backoff(first=5 * MINUTE, factor=2, maximum=datetime.timedelta(hours=4))

    delays = [backoff.delay(attempt) for attempt in range(1, 10)]

    assert delays == [minutes * MINUTE for minutes in (5, 10, 20, 40, 80, 160, 240, 240, 240)]


def test_default_backoff_starts_at_one_minute():
    backoff = Backoff()

    assert [backoff.delay(attempt) for attempt in (1, 2, 3, 7, 8)] == [
        MINUTE,
        2 * MINUTE,
        4 * MINUTE,
        datetime.timedelta(hours=1),
        datetime.timedelta(hours=1),
    ]


def test_backoff_of_huge_attempt_is_maximum():
    assert Backoff().delay(10_000) == datetime.timedelta(hours=1)


def test_backoff_counts_attempts_from_one():
    with pytest.raises(ValueError, match="from 1"):
        Backoff().delay(0)


def test_mailing_job_is_discovered_at_start():
    job = get_job("mailing.retry_failed")

    assert job is not None
    assert str(job.label) == "Nouvel envoi des e-mails en échec"
    assert job in all_jobs()


def test_register_adds_job_once():
    job = noop_job()
    try:
        assert register(job) is job
        assert register(job) is job
        assert get_job("tests.noop") is job
    finally:
        unregister("tests.noop")
    assert get_job("tests.noop") is None


def test_two_jobs_with_same_name_rejected():
    register(noop_job())
    try:
        with pytest.raises(ImproperlyConfigured, match=r"tests\.noop"):
            register(noop_job())
    finally:
        unregister("tests.noop")


def test_job_needs_one_attempt_at_least():
    with pytest.raises(ImproperlyConfigured, match="max_attempts"):
        noop_job(max_attempts=0)


def test_lease_defaults_to_setting(settings):
    settings.JOBS_TIMEOUT = 42

    assert noop_job().lease == datetime.timedelta(seconds=42)
    assert noop_job(timeout=datetime.timedelta(hours=2)).lease == datetime.timedelta(hours=2)
