"""A real ``ardoise worker`` delivering webhooks, killed with SIGKILL halfway through, then restarted.

The receiver on loopback takes a moment per request. The test kills the
worker while it waits for a response, waits for the leases to expire, and
starts another worker. Every event must then be delivered, in the order the
invoices were issued; only the event in flight at the kill may arrive twice
(delivery is at least once).
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice
from ardoise.webhooks import events
from ardoise.webhooks.models import Delivery, DeliveryStatus, EventType, Subscription
from tests.jobs.test_real_worker import (
    LEASE_SECONDS,
    Workers,
    database_environment,
    redis_queue,  # noqa: F401  (fixture)
    wait_until,
)

EVENTS = 8
SECONDS_PER_REQUEST = 0.4


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
@pytest.mark.django_db(transaction=True)
def test_killed_worker_delivers_every_event_in_order(
    queue, request, tmp_path, organisation, customer, receiver, monkeypatch
):
    receiver.delay = SECONDS_PER_REQUEST
    Subscription.objects.create(organisation=organisation, url=receiver.url, events=[EventType.INVOICE_ISSUED])
    # The worker process sends; this test process must not, as it would on commit.
    monkeypatch.setattr(events, "_wake_worker", lambda: None)
    numbers = []
    for rank in range(EVENTS):
        draft = Invoice.objects.create(organisation=organisation, customer=customer)
        InvoiceLine.objects.create(invoice=draft, name="Prestation %s" % rank, unit_price=Decimal("100.00"))
        numbers.append(issue_invoice(draft, today=timezone.localdate()).number)
    database, read = database_environment(request)
    environment = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(
        database,
        ARDOISE_VAR_DIR=str(tmp_path),
        ARDOISE_SECRET_KEY="test-worker-secret-key",
        ARDOISE_JOB_TIMEOUT=str(LEASE_SECONDS),
    )
    if queue == "redis":
        environment["REDIS_URL"] = request.getfixturevalue("redis_queue")
    workers = Workers(environment, tmp_path / "worker.log")

    def delivered() -> int:
        return Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()

    try:
        first = workers.start()
        wait_until(
            lambda: len(receiver.requests) >= 2 and receiver.handling > 0, "a worker sending its third event", workers
        )
        workers.kill(first)
        delivered_before_kill = read(delivered)
        time.sleep(LEASE_SECONDS + 0.5)
        second = workers.start()
        wait_until(lambda: read(delivered) == EVENTS, "the second worker to deliver every event", workers)
        workers.stop(second)
    finally:
        workers.kill_all()

    received = [item.json["data"]["number"] for item in receiver.requests]
    without_repeats = [number for index, number in enumerate(received) if index == 0 or received[index - 1] != number]
    assert delivered_before_kill < EVENTS
    assert without_repeats == numbers
    assert len(received) - len(without_repeats) <= 1
