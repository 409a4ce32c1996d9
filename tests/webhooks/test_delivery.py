"""Webhook events: queued with their change, delivered signed and in order, retried, replayed, at least once."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from ardoise.jobs.models import JobUnit, UnitStatus
from ardoise.jobs.services import run_due
from ardoise.payments.services import receive_payment
from ardoise.webhooks import delivery as delivery_module
from ardoise.webhooks.models import Delivery, DeliveryStatus, EventType, Subscription
from ardoise.webhooks.services import replay, send_test
from ardoise.webhooks.tasks import DELIVER, OVERDUE
from tests.reports.conftest import PARIS, issue, on

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def subscribe(organisation, receiver, *events):
    return Subscription.objects.create(organisation=organisation, url=receiver.url, events=list(events))


def invoice_for(organisation, customer, price="100", day=DAY):
    return issue(organisation, customer, [("Conseil", "1", price, "20.00", None)], day)


MORNING = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=PARIS)


def deliver(later=datetime.timedelta(0), jobs=(DELIVER,)):
    """Run the due webhook units as a sweep would, ``later`` after 2 November 2026 at 10:00 in Paris."""
    with time_machine.travel(MORNING + later, tick=False):
        return run_due(timezone.localdate(), jobs)


def test_issued_invoice_delivered_signed(organisation, customer, receiver):
    subscription = subscribe(organisation, receiver, EventType.INVOICE_ISSUED)
    invoice = invoice_for(organisation, customer)

    deliver()

    [request] = receiver.requests
    timestamp, signature = (part.split("=", 1)[1] for part in request.headers["Ardoise-Signature"].split(","))
    expected = hmac.new(subscription.secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256)
    assert signature == expected.hexdigest()
    assert request.headers["Ardoise-Event"] == "invoice.issued"
    assert request.json["data"]["number"] == invoice.number
    assert request.json["data"]["total_with_vat"] == "120.00"
    assert request.headers["Ardoise-Delivery"] == request.json["id"]
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_unsubscribed_events_are_not_queued(organisation, customer, receiver):
    subscribe(organisation, receiver, EventType.PAYMENT_RECORDED)

    invoice_for(organisation, customer)

    assert not Delivery.objects.exists()


def test_rolled_back_change_leaves_no_event(organisation, customer, receiver):
    subscribe(organisation, receiver, EventType.INVOICE_ISSUED)

    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_for(organisation, customer)
        raise RuntimeError("abandon")

    assert not Delivery.objects.exists()


def test_payment_and_paid_events(organisation, customer, receiver):
    subscribe(organisation, receiver, EventType.PAYMENT_RECORDED, EventType.INVOICE_PAID)
    invoice = invoice_for(organisation, customer)
    with on(DAY):
        receive_payment(customer, Decimal("150.00"), DAY, reference="VIR 42")

    deliver()

    assert receiver.events() == ["payment.recorded", "invoice.paid"]
    payment = receiver.requests[0].json["data"]
    assert payment["allocations"] == [{"invoice": invoice.number, "amount": "120.00"}]
    assert payment["unallocated"] == "30.00"
    assert receiver.requests[1].json["data"]["balance"] == "0.00"


def test_failures_retry_and_keep_order(organisation, customer, receiver):
    subscribe(organisation, receiver, EventType.INVOICE_ISSUED)
    numbers = [invoice_for(organisation, customer, price=str(100 + rank)).number for rank in range(3)]
    receiver.statuses = [503, 500]

    first = deliver()
    deliver(later=datetime.timedelta(minutes=1))
    deliver(later=datetime.timedelta(minutes=3))

    received = [request.json["data"]["number"] for request in receiver.requests]
    assert first.failed
    assert received == [numbers[0], numbers[0], numbers[0], numbers[1], numbers[2]]
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 3
    assert Delivery.objects.order_by("pk").first().log[0]["status"] == 503


def test_redirect_is_not_followed(organisation, customer, receiver):
    subscribe(organisation, receiver, EventType.INVOICE_ISSUED)
    invoice_for(organisation, customer)
    receiver.statuses = [302]

    deliver()

    delivery = Delivery.objects.get()
    assert len(receiver.requests) == 1
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.response_status == 302


def test_abandoned_event_lets_next_through(organisation, customer, receiver):
    subscribe(organisation, receiver, EventType.INVOICE_ISSUED)
    invoice_for(organisation, customer)
    invoice_for(organisation, customer, price="200")
    receiver.statuses = [500] * DELIVER.max_attempts

    for attempt in range(DELIVER.max_attempts + 1):
        deliver(later=datetime.timedelta(hours=2 * attempt))

    first, second = Delivery.objects.order_by("pk")
    assert first.status == DeliveryStatus.ABANDONED
    assert first.attempts == DELIVER.max_attempts
    assert second.status == DeliveryStatus.DELIVERED


def test_replay_sends_same_event_again(organisation, customer, receiver):
    subscription = subscribe(organisation, receiver, EventType.INVOICE_ISSUED)
    invoice_for(organisation, customer)
    deliver()

    replay(Delivery.objects.get())
    deliver()

    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["Ardoise-Delivery"] == second.headers["Ardoise-Delivery"]
    assert subscription.deliveries.filter(replay_of__isnull=False, status=DeliveryStatus.DELIVERED).count() == 1


def test_ping_reaches_any_subscription(organisation, receiver):
    subscription = subscribe(organisation, receiver, EventType.INVOICE_PAID)

    send_test(subscription)
    deliver()

    assert receiver.events() == ["ping"]


def test_overdue_event_once_per_invoice(organisation, customer, receiver):
    subscribe(organisation, receiver, EventType.INVOICE_OVERDUE)
    invoice = invoice_for(organisation, customer)
    days_to_due = (invoice.due_date - DAY).days

    deliver(later=datetime.timedelta(days=days_to_due + 1), jobs=(OVERDUE, DELIVER))
    deliver(later=datetime.timedelta(days=days_to_due + 2), jobs=(OVERDUE, DELIVER))

    assert receiver.events() == ["invoice.overdue"]
    assert receiver.requests[0].json["data"]["days_late"] == 1


def test_crashed_worker_delivery_is_sent_again(organisation, customer, receiver, monkeypatch):
    """A worker dies after the receiver responded: once the leases expire, the event goes again, then the rest."""
    subscribe(organisation, receiver, EventType.INVOICE_ISSUED)
    numbers = [invoice_for(organisation, customer, price=str(100 + rank)).number for rank in range(2)]
    real_record = delivery_module._record

    def die_after_first_answer(*args, **kwargs):
        monkeypatch.setattr(delivery_module, "_record", real_record)
        raise KeyboardInterrupt  # what SIGKILL looks like to the database: the process stops here

    monkeypatch.setattr(delivery_module, "_record", die_after_first_answer)
    with pytest.raises(KeyboardInterrupt):
        deliver()
    assert JobUnit.objects.get(job=DELIVER.name).status == UnitStatus.RUNNING

    deliver(later=DELIVER.lease + datetime.timedelta(seconds=1))

    received = [request.json["data"]["number"] for request in receiver.requests]
    assert received == [numbers[0], numbers[0], numbers[1]]
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
