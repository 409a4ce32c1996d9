"""500 recurring invoices issued and e-mailed by real ``ardoise worker`` processes killed with SIGKILL several times.

The plans are seeded in the test database; each worker is killed after a
random number of further invoices, then a new one starts once the leases of
the killed worker's units have passed. At the end every occurrence has
exactly one invoice, the numbers run without a gap, and the SMTP server on
loopback received every invoice's e-mail. An e-mail may arrive twice only in
the window the product documents (the server accepted it, the worker died
before recording it): the occurrence is then flagged ``email_resent``, and
the test checks that every duplicate is flagged.

SQLite database with the SQLite queue on the SQLite pass; PostgreSQL with
Redis (database 8) on the PostgreSQL pass.
"""

from __future__ import annotations

import collections
import datetime
import email
import email.policy
import os
import random
import re
import socket
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import timezone

from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.mailing.models import DeliveryStatus, OutboundEmail
from ardoise.mailing.services import message_id
from ardoise.recurring.models import RecurringOccurrence
from tests.jobs.test_real_worker import Workers, database_environment
from tests.recurring.conftest import make_plan

PLANS = 100
OCCURRENCES_PER_PLAN = 5  # weekly, the first four missed: the worker catches them up
INVOICES = PLANS * OCCURRENCES_PER_PLAN
KILLS = 4
LEASE_SECONDS = 8
# Generous: on a busy 2-core machine the whole run has taken 6 to 8 minutes.
DEADLINE_SECONDS = 900
REDIS_URL = os.environ.get("RECURRING_REDIS_URL") or "redis://127.0.0.1:6379/8"


class CountingHandler:
    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.message_ids.append(str(message["Message-ID"]))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, CountingHandler]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler
    controller.stop()


def redis_queue() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as error:
        message = "Redis is not reachable at %s (%s)" % (REDIS_URL, error)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()
    client.close()
    return REDIS_URL


def progress() -> dict[str, int]:
    return {
        "occurrences": RecurringOccurrence.objects.count(),
        "issued": Invoice.objects.filter(status=InvoiceStatus.ISSUED).count(),
        "sent": OutboundEmail.objects.filter(status=DeliveryStatus.SENT).count(),
        "linked": RecurringOccurrence.objects.filter(email__isnull=False).count(),
    }


def unit_states() -> dict:
    from ardoise.jobs.models import JobUnit

    return dict(collections.Counter(JobUnit.objects.values_list("job", "status")))


def finished() -> bool:
    state = progress()
    return state == {"occurrences": INVOICES, "issued": INVOICES, "sent": INVOICES, "linked": INVOICES}


def outcome() -> dict:
    numbers = sorted(Invoice.objects.filter(status=InvoiceStatus.ISSUED).values_list("number", flat=True))
    return {
        "numbers": numbers,
        "per_occurrence": collections.Counter(
            RecurringOccurrence.objects.filter(invoice__status=InvoiceStatus.ISSUED).values_list("plan_id", "date")
        ),
        "emails_per_invoice": collections.Counter(OutboundEmail.objects.values_list("invoice_id", flat=True)),
        "message_ids": {message_id(outbound): outbound.invoice_id for outbound in OutboundEmail.objects.all()},
        "resent_invoices": set(
            RecurringOccurrence.objects.filter(email_resent=True).values_list("invoice_id", flat=True)
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_killed_workers_issue_and_send_each_recurring_invoice_once(request, tmp_path, organisation, smtp_server):
    port, handler = smtp_server
    today = timezone.localdate()
    customers = [
        Customer.objects.create(
            organisation=organisation,
            name="Client %s" % number,
            siren="552081317",
            email="compta%s@client.test" % number,
            address_line1="3 place Bellecour",
            postcode="69002",
            city="Lyon",
        )
        for number in range(10)
    ]
    for number in range(PLANS):
        make_plan(
            organisation,
            customers[number % len(customers)],
            name="Abonnement %s" % number,
            frequency="weekly",
            start_date=today - datetime.timedelta(weeks=OCCURRENCES_PER_PLAN - 1),
            occurrences_limit=OCCURRENCES_PER_PLAN,
            auto_send=True,
        )

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
    if connection.vendor == "postgresql":
        environment["REDIS_URL"] = redis_queue()
    workers = Workers(environment, tmp_path / "worker.log")
    randomness = random.Random()
    deadline = time.monotonic() + DEADLINE_SECONDS
    kills_done = 0

    def wait(condition, what: str) -> None:
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(
                    "Timed out waiting for %s: %s, units %s. Worker log:\n%s"
                    % (what, read(progress), read(unit_states), workers.log())
                )
            time.sleep(0.05)

    try:
        for _kill in range(KILLS):
            start = read(progress)
            target = randomness.randint(20, 90)
            worker = workers.start()
            wait(
                lambda start=start, target=target: (
                    read(progress)["issued"] + read(progress)["sent"] >= start["issued"] + start["sent"] + target
                    or read(finished)
                ),
                "progress before the kill",
            )
            # A random moment within the next half second: during an issue, a send, a commit…
            time.sleep(randomness.random() * 0.5)
            workers.kill(worker)
            kills_done += 1
            if read(finished):
                break
            time.sleep(LEASE_SECONDS + 0.5)
        last = workers.start()
        wait(lambda: read(finished), "the last worker to finish")
        exit_status = workers.stop(last)
    finally:
        workers.kill_all()

    result = read(outcome)
    assert exit_status == 0
    assert kills_done >= 2, "the workers finished before being killed twice: make the batch larger"
    # Every occurrence has exactly one issued invoice.
    assert len(result["per_occurrence"]) == INVOICES
    assert set(result["per_occurrence"].values()) == {1}
    # Numbers F-YYYY-0001 … F-YYYY-0500, no gap, no repeat.
    counters = sorted(int(re.search(r"(\d+)$", number).group(1)) for number in result["numbers"])
    assert counters == list(range(1, INVOICES + 1))
    # One e-mail record per invoice, and every one reached the SMTP server.
    assert set(result["emails_per_invoice"].values()) == {1}
    received = collections.Counter(handler.message_ids)
    assert set(received) == set(result["message_ids"])
    # Exactly once, except where the product detected and flagged a send interrupted after the server's acceptance.
    twice = {result["message_ids"][identifier] for identifier, count in received.items() if count > 1}
    assert max(received.values()) <= 2
    assert twice <= result["resent_invoices"]
    print(
        "%s invoices, %s kills, %s e-mails received, %s flagged as resent, %s received twice"
        % (INVOICES, kills_done, len(handler.message_ids), len(result["resent_invoices"]), len(twice))
    )
