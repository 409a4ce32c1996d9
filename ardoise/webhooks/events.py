"""Write an outbox row for each subscription interested in a business event, in the event's own transaction.

The handlers run on ``post_save`` of invoices, payments, receipts and
e-mails, inside the transaction that saves them: a rolled-back change leaves
no event. Each event has a key naming its fact (``invoice.issued:42``), so
saving twice queues it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.mailing.models import DeliveryStatus as EmailStatus
from ardoise.mailing.models import OutboundEmail
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.webhooks.models import Delivery, EventType, Subscription


def connect() -> None:
    post_save.connect(_on_invoice, sender=Invoice, dispatch_uid="webhooks_invoice")
    post_save.connect(_on_receipt, sender=Receipt, dispatch_uid="webhooks_receipt")
    post_save.connect(_on_payment, sender=Payment, dispatch_uid="webhooks_payment")
    post_save.connect(_on_email, sender=OutboundEmail, dispatch_uid="webhooks_email")


def subscribers(organisation_id: int, event_type: str) -> list[Subscription]:
    """Return the organisation's active subscriptions to ``event_type``."""
    # JSON containment is not portable to SQLite: an organisation has a handful of subscriptions, filter here.
    subscriptions = Subscription.objects.filter(organisation_id=organisation_id, is_active=True)
    return [subscription for subscription in subscriptions if event_type in subscription.events]


def emit(organisation_id: int, event_type: str, key: str, object_id: int | None) -> int:
    """Queue the event for each subscriber; return how many deliveries were queued."""
    deliveries = [
        Delivery(
            subscription=subscription,
            organisation_id=organisation_id,
            event_type=event_type,
            event_key=key,
            object_id=object_id,
        )
        for subscription in subscribers(organisation_id, event_type)
    ]
    if not deliveries:
        return 0
    # The unique (subscription, event_key) constraint skips an event already queued.
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    transaction.on_commit(_wake_worker)
    return len(deliveries)


def emit_many(organisation_id: int, event_type: str, facts: Iterable[tuple[str, int]]) -> int:
    return sum(emit(organisation_id, event_type, key, object_id) for key, object_id in facts)


def _wake_worker() -> None:
    from ardoise.webhooks.tasks import queue_deliveries

    queue_deliveries()


def _on_invoice(sender: Any, instance: Invoice, **kwargs: Any) -> None:
    # An issued row is saved once: the model refuses any later save.
    if instance.status != InvoiceStatus.ISSUED:
        return
    event_type = EventType.CREDIT_NOTE_ISSUED if instance.is_credit_note else EventType.INVOICE_ISSUED
    emit(instance.organisation_id, event_type, "%s:%s" % (event_type, instance.pk), instance.pk)


def _on_receipt(sender: Any, instance: Receipt, created: bool = False, **kwargs: Any) -> None:
    if created and not instance.is_reversal and instance.kind == ReceiptKind.RECEIVED:
        key = "%s:%s" % (EventType.PAYMENT_RECORDED, instance.pk)
        emit(instance.organisation_id, EventType.PAYMENT_RECORDED, key, instance.pk)


def _on_payment(sender: Any, instance: Payment, created: bool = False, **kwargs: Any) -> None:
    if not created or instance.is_reversal:
        return
    invoice = Invoice.objects.get(pk=instance.invoice_id)
    if invoice.is_credit_note or invoice.balance() > 0:
        return
    # Keyed by the payment that settled it: an invoice paid, reopened by a reversal, then paid again, is paid twice.
    key = "%s:%s:%s" % (EventType.INVOICE_PAID, invoice.pk, instance.pk)
    emit(instance.organisation_id, EventType.INVOICE_PAID, key, invoice.pk)


def _on_email(sender: Any, instance: OutboundEmail, **kwargs: Any) -> None:
    if instance.invoice_id and instance.status == EmailStatus.SENT:
        key = "%s:%s" % (EventType.INVOICE_SENT, instance.pk)
        emit(instance.organisation_id, EventType.INVOICE_SENT, key, instance.invoice_id)
