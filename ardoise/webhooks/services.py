"""Actions on webhooks from the pages and the command line: a test event and the replay of an event."""

from __future__ import annotations

import uuid

from django.db import transaction

from ardoise.webhooks.models import Delivery, DeliveryStatus, EventType, Subscription


def send_test(subscription: Subscription) -> Delivery:
    """Queue a « ping » event to the subscription, whatever events it listens to."""
    with transaction.atomic():
        delivery = Delivery.objects.create(
            subscription=subscription,
            organisation_id=subscription.organisation_id,
            event_type=EventType.PING,
            event_key="ping:%s" % uuid.uuid4(),
        )
        transaction.on_commit(_wake_worker)
    return delivery


def replay(delivery: Delivery) -> Delivery:
    """Queue the event again, same id and body, at the end of the subscription's outbox."""
    with transaction.atomic():
        copy = Delivery.objects.create(
            subscription_id=delivery.subscription_id,
            organisation_id=delivery.organisation_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            event_key=delivery.event_key,
            object_id=delivery.object_id,
            payload=delivery.payload,
            status=DeliveryStatus.PENDING,
            replay_of=delivery,
        )
        transaction.on_commit(_wake_worker)
    return copy


def _wake_worker() -> None:
    from ardoise.webhooks.tasks import queue_deliveries

    queue_deliveries()
