"""Deliver a subscription's outbox in order, signed, one worker at a time.

Each request carries the event's JSON body and three headers:
``Ardoise-Event`` (the type), ``Ardoise-Delivery`` (the event id, the same
on every retry and replay, for the receiver to drop duplicates) and
``Ardoise-Signature: t=<unix time>,v1=<hex>``, the HMAC-SHA256 of
``"<t>." + body`` with the subscription's secret. A receiver recomputes it
and refuses a timestamp older than a few minutes, which stops replays of a
captured request.

Delivery is at least once: when a worker is killed after the receiver
responded but before the row was marked delivered, the event is sent again
once the worker's lease has expired.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.webhooks.models import Delivery, DeliveryStatus, Subscription
from ardoise.webhooks.payloads import envelope

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# Kept per delivery in its log; the response body beyond this is dropped.
MAX_LOGGED_ATTEMPTS = 20
MAX_LOGGED_BODY = 500
USER_AGENT = "Ardoise-Webhooks/1"


class DeliveryFailed(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class SubscriptionBusy(Exception):
    """Another worker has leased the subscription and is delivering its outbox."""


LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def address_problem(url: str) -> str | None:
    """Return why ``url`` may not receive webhooks, in French, or None: HTTPS, or HTTP on this machine only."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    return _(
        "L'adresse « %(url)s » n'est pas acceptée : utilisez une adresse https://, ou http:// seulement vers "
        "cette machine (127.0.0.1 ou localhost)."
    ) % {"url": url}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), b"%d." % timestamp + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (timestamp, digest)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        # A redirect is refused: the subscription's address is the one the owner checked.
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(subscription: Subscription, delivery: Delivery) -> int:
    """Send one delivery and return the HTTP status; raise ``DeliveryFailed`` unless it is 2xx."""
    problem = address_problem(subscription.url)
    if problem:
        raise DeliveryFailed(problem)
    # Sorted keys: PostgreSQL's jsonb reorders them, and a retry or replay must send the same bytes.
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    # The scheme is https, or http to loopback: address_problem() just checked it.
    request = urllib.request.Request(  # noqa: S310
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Ardoise-Event": delivery.event_type,
            "Ardoise-Delivery": str(delivery.event_id),
            "Ardoise-Signature": sign(subscription.secret, int(time.time()), body),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        detail = error.read(MAX_LOGGED_BODY).decode("utf-8", "replace")
        raise DeliveryFailed(
            _("Réponse HTTP %(status)s : %(detail)s") % {"status": error.code, "detail": detail or error.reason},
            error.code,
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(_("Connexion impossible : %(reason)s") % {"reason": reason}) from None


def acquire(subscription: Subscription, lease: datetime.timedelta) -> bool:
    now = timezone.now()
    acquired = Subscription.objects.filter(
        Q(delivering_until__isnull=True) | Q(delivering_until__lt=now), pk=subscription.pk
    ).update(delivering_until=now + lease)
    return bool(acquired)


def release(subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk).update(delivering_until=None)


def deliver_outbox(subscription: Subscription, *, lease: datetime.timedelta, give_up: bool) -> int:
    """Send the subscription's pending deliveries, oldest first, stopping at the first failure.

    Returns how many were delivered. Raises ``SubscriptionBusy`` when another
    worker has leased the subscription, and ``DeliveryFailed`` for the delivery that
    failed, which stays pending, or becomes abandoned when ``give_up``.
    """
    if not acquire(subscription, lease):
        raise SubscriptionBusy()
    delivered = 0
    try:
        while True:
            delivery = subscription.deliveries.filter(status=DeliveryStatus.PENDING).order_by("pk").first()
            if delivery is None:
                return delivered
            _attempt(subscription, delivery, give_up=give_up)
            delivered += 1
            Subscription.objects.filter(pk=subscription.pk).update(delivering_until=timezone.now() + lease)
    finally:
        release(subscription)


def _attempt(subscription: Subscription, delivery: Delivery, *, give_up: bool) -> None:
    if delivery.payload is None:
        delivery.payload = envelope(delivery)
        delivery.save(update_fields=["payload"])
    now = timezone.now()
    try:
        status = post(subscription, delivery)
    except DeliveryFailed as failure:
        _record(delivery, now, failure.status, failure.reason)
        if give_up:
            Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.ABANDONED)
        logger.warning(
            "webhook delivery failed subscription=%s delivery=%s status=%s",
            subscription.pk,
            delivery.pk,
            failure.status,
        )
        raise
    _record(delivery, now, status, "")
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DELIVERED, delivered_at=timezone.now())


def _record(delivery: Delivery, moment: datetime.datetime, status: int | None, error: str) -> None:
    entry = {"at": moment.isoformat(), "status": status, "error": error[:MAX_LOGGED_BODY]}
    log = [*delivery.log, entry][-MAX_LOGGED_ATTEMPTS:]
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=delivery.attempts + 1,
        last_attempt_at=moment,
        response_status=status,
        error=error[:MAX_LOGGED_BODY],
        log=log,
    )
