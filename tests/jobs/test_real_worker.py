"""A real ``ardoise worker`` process, killed with SIGKILL halfway through, then restarted.

Failed invoice e-mails wait in the database; the worker sends them again
through a real SMTP server on loopback that takes a moment per message. The
test kills the worker while it is sending and waits for the lease of the units
it held to expire. Then it starts a new worker and checks that every unit ended
done with exactly one successful attempt, and that every e-mail arrived. An e-mail
may arrive twice only when its unit was interrupted: delivery is at least
once (see ardoise/mailing/tasks.py).

The worker uses the test database: PostgreSQL as it is, or on SQLite a copy
in a file. The queue is the SQLite file of the settings, or Redis database 5.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice
from ardoise.jobs.models import JobRun, JobUnit, RunStatus, UnitStatus
from ardoise.mailing.models import DeliveryStatus, OutboundEmail
from ardoise.mailing.services import message_id, send_invoice_email

ARDOISE = Path(sys.executable).parent / "ardoise"
EMAILS = 8
SECONDS_PER_MESSAGE = 0.3
LEASE_SECONDS = 3
# Starting Django takes a few seconds, and far longer on a loaded machine: a step waits up to two minutes.
STEP_TIMEOUT = 120
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5"
SERVER_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "use_tls": False, "timeout": 2},
    }
}


class SlowHandler:
    """An aiosmtpd handler that takes ``SECONDS_PER_MESSAGE`` to accept each message and records its Message-ID.

    ``receiving`` counts the messages being accepted: while it is above zero, a
    worker is waiting for the server's reply, so its unit is « running ».
    """

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.receiving = 0

    async def handle_DATA(self, server, session, envelope):
        self.receiving += 1
        try:
            await asyncio.sleep(SECONDS_PER_MESSAGE)
        finally:
            self.receiving -= 1
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.message_ids.append(str(message["Message-ID"]))
        return "250 Message accepted for delivery"


@pytest.fixture
def slow_smtp_server() -> Iterator[tuple[int, SlowHandler]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = SlowHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler
    controller.stop()


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """Redis database 5, emptied before and after; skipped when Redis is not running, except in CI."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as error:
        message = "Redis is not reachable at %s (%s): start redis-server on 127.0.0.1:6379 or set REDIS_URL" % (
            REDIS_URL,
            error,
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


class Workers:
    """Start ``ardoise worker`` processes, each in its own process group, and never leave one behind."""

    def __init__(self, environment: dict[str, str], log_path: Path) -> None:
        self.environment = environment
        self.log_path = log_path
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(
                [str(ARDOISE), "worker", "--workers", "2"],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, process: subprocess.Popen) -> int:
        """Stop gracefully with SIGINT, as Ctrl+C does; return the exit status."""
        os.killpg(process.pid, signal.SIGINT)
        return process.wait(timeout=20)

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


def wait_until(condition: Callable[[], bool], what: str, workers: Workers) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("Timed out after %ss waiting for %s. Worker log:\n%s" % (STEP_TIMEOUT, what, workers.log()))
        time.sleep(0.1)


def in_thread[T](function: Callable[[], T]) -> T:
    """Run ``function`` with a connection of its own, which reads the file copy on SQLite."""
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


def seed_failed_emails(organisation, customer, settings) -> list[OutboundEmail]:
    """Issue ``EMAILS`` invoices and fail to e-mail each one, ten minutes ago, past the first retry delay."""
    settings.MAILERS = SERVER_DOWN
    emails = []
    for number in range(EMAILS):
        draft = Invoice.objects.create(organisation=organisation, customer=customer)
        InvoiceLine.objects.create(
            invoice=draft, name="Prestation %s" % number, quantity=Decimal("1"), unit_price=Decimal("100.00")
        )
        invoice = issue_invoice(draft, today=timezone.localdate())
        emails.append(send_invoice_email(invoice, ["compta@boulangerie-martin.fr"], invoice.number, "Bonjour"))
    OutboundEmail.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    return list(OutboundEmail.objects.order_by("pk"))


def database_environment(request) -> tuple[dict[str, str], Callable[[Callable[[], Any]], Any]]:
    """Return the worker's database variables and how this test reads what the worker wrote."""
    if connection.vendor == "postgresql":
        database = connection.settings_dict
        url = "postgres://%s:%s@%s:%s/%s" % (
            database["USER"],
            database["PASSWORD"] or "",
            database["HOST"] or "127.0.0.1",
            database["PORT"] or 5432,
            database["NAME"],
        )
        return {"DATABASE_URL": url}, lambda read: read()
    # The copy is named as in ARDOISE_VAR_DIR, which the worker gets.
    request.getfixturevalue("sqlite_file_database")
    return {}, in_thread


def unit_statuses() -> dict[str, int]:
    units = JobUnit.objects.filter(job="mailing.retry_failed")
    return dict(collections.Counter(units.values_list("status", flat=True)))


def stored_outcome() -> dict[str, Any]:
    runs = JobRun.objects.filter(unit__job="mailing.retry_failed")
    return {
        "units": unit_statuses(),
        "emails": dict(collections.Counter(OutboundEmail.objects.values_list("status", flat=True))),
        "succeeded_runs": collections.Counter(
            runs.filter(status=RunStatus.SUCCEEDED).values_list("unit__object_id", flat=True)
        ),
        "interrupted_emails": set(runs.filter(status=RunStatus.INTERRUPTED).values_list("unit__object_id", flat=True)),
    }


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
@pytest.mark.django_db(transaction=True)
def test_killed_worker_leaves_no_unit_undone_or_doubled(
    queue, request, tmp_path, organisation, customer, settings, slow_smtp_server
):
    port, handler = slow_smtp_server
    emails = seed_failed_emails(organisation, customer, settings)
    expected_ids = {message_id(outbound): outbound.pk for outbound in emails}
    database, read = database_environment(request)
    environment = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(
        database,
        ARDOISE_VAR_DIR=str(tmp_path),
        ARDOISE_SECRET_KEY="test-worker-secret-key",
        ARDOISE_JOB_TIMEOUT=str(LEASE_SECONDS),
        ARDOISE_SMTP_HOST="127.0.0.1",
        ARDOISE_SMTP_PORT=str(port),
        ARDOISE_SMTP_STARTTLS="false",
        ARDOISE_SMTP_SSL="false",
        ARDOISE_SMTP_TIMEOUT="10",
    )
    if queue == "redis":
        environment["REDIS_URL"] = request.getfixturevalue("redis_queue")
    workers = Workers(environment, tmp_path / "worker.log")

    try:
        first = workers.start()
        wait_until(
            lambda: len(handler.message_ids) >= 3 and handler.receiving > 0,
            "the first worker to send 3 e-mails and be sending another",
            workers,
        )
        workers.kill(first)
        after_kill = read(unit_statuses)
        killed_at = time.monotonic()

        time.sleep(max(0.0, LEASE_SECONDS + 0.5 - (time.monotonic() - killed_at)))
        second = workers.start()
        wait_until(lambda: read(unit_statuses) == {UnitStatus.DONE: EMAILS}, "the second worker to finish", workers)
        exit_status = workers.stop(second)
    finally:
        workers.kill_all()

    outcome = read(stored_outcome)
    received = collections.Counter(handler.message_ids)
    received_twice = {expected_ids[identifier] for identifier, count in received.items() if count > 1}
    assert after_kill.get(UnitStatus.DONE, 0) < EMAILS, "the worker was killed after finishing everything"
    assert after_kill.get(UnitStatus.RUNNING, 0) >= 1, "the kill found no unit in progress: %s" % after_kill
    assert exit_status == 0
    assert outcome["units"] == {UnitStatus.DONE: EMAILS}
    assert outcome["emails"] == {DeliveryStatus.SENT: EMAILS}
    assert set(outcome["succeeded_runs"].values()) == {1}
    assert set(outcome["succeeded_runs"]) == set(expected_ids.values())
    assert set(received) == set(expected_ids)
    assert received_twice <= outcome["interrupted_emails"]
