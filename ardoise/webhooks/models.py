"""Webhook subscriptions and their outbox: one row per event to deliver to one subscription.

The outbox row is written in the transaction that changes the business data
(an invoice issued, a receipt recorded), so an event exists if and only if
its change was committed. The worker delivers each subscription's rows in
order; see ``delivery``.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    INVOICE_ISSUED = "invoice.issued", _("Facture émise")
    CREDIT_NOTE_ISSUED = "credit_note.issued", _("Avoir émis")
    INVOICE_SENT = "invoice.sent", _("Facture envoyée par e-mail")
    INVOICE_PAID = "invoice.paid", _("Facture payée")
    INVOICE_OVERDUE = "invoice.overdue", _("Facture en retard")
    PAYMENT_RECORDED = "payment.recorded", _("Encaissement enregistré")
    QUOTE_ACCEPTED = "quote.accepted", _("Devis accepté")
    QUOTE_REFUSED = "quote.refused", _("Devis refusé")
    PING = "ping", _("Test")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Subscription(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("adresse de réception"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("événements"), default=list)
    secret = models.CharField(max_length=80, default=new_secret)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Held by the worker that delivers this subscription's outbox, so that one worker at a time sends, in order.
    delivering_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement webhook")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    DELIVERED = "delivered", _("Remis")
    ABANDONED = "abandoned", _("Abandonné")


class Delivery(models.Model):
    """One event for one subscription, with the result of its last attempt."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField(default=uuid.uuid4)
    event_type = models.CharField(max_length=40, choices=EventType)
    # Identifies the business fact, e.g. "invoice.issued:42", so that it is never queued twice.
    event_key = models.CharField(max_length=120)
    # The object the event is about; its payload is built at the first attempt, then kept for retries and replays.
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    payload = models.JSONField(null=True, blank=True)
    # The attempts, newest last: time, HTTP status or error.
    log = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_key"],
                condition=models.Q(replay_of__isnull=True),
                name="one_delivery_per_event_and_subscription",
            )
        ]
        indexes = [models.Index(fields=["subscription", "status", "id"], name="webhook_outbox")]

    def __str__(self) -> str:
        return "%s to subscription %s" % (self.event_type, self.subscription_id)
