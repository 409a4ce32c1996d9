"""Background work of webhooks: deliver each subscription's outbox, and notice invoices that fall overdue."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import Backoff, DueUnit, Job, PermanentFailure, TemporaryFailure, register
from ardoise.webhooks.delivery import DeliveryFailed, SubscriptionBusy, deliver_outbox
from ardoise.webhooks.events import emit_many, subscribers
from ardoise.webhooks.models import Delivery, DeliveryStatus, EventType, Subscription

# The lease of a worker on a subscription between two deliveries, far above one request's timeout.
SUBSCRIPTION_LEASE = datetime.timedelta(minutes=2)
# After a downtime, invoices that fell due this many days ago still get their overdue event.
OVERDUE_CATCH_UP = datetime.timedelta(days=7)


def find_outboxes(day: datetime.date) -> Iterator[DueUnit]:
    """List one unit per subscription with pending deliveries, keyed by its oldest one.

    A unit ends when the outbox is empty. A delivery queued later has a higher
    id, so the next unit of the subscription gets a new key.
    """
    outboxes = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, subscription__is_active=True)
        .values("subscription_id", "organisation_id", "subscription__url")
        .annotate(first=Min("id"))
        .order_by("first")
    )
    for outbox in outboxes:
        yield DueUnit(
            key="webhook:%s:%s" % (outbox["subscription_id"], outbox["first"]),
            label=_("Webhooks vers %(url)s") % {"url": outbox["subscription__url"]},
            organisation_id=outbox["organisation_id"],
            object_id=outbox["subscription_id"],
        )


def deliver(unit: JobUnit) -> str:
    subscription = Subscription.objects.filter(pk=unit.object_id).first()
    if subscription is None or not subscription.is_active:
        return _("Abonnement supprimé ou désactivé : rien à envoyer.")
    give_up = unit.attempts >= DELIVER.max_attempts
    try:
        count = deliver_outbox(subscription, lease=SUBSCRIPTION_LEASE, give_up=give_up)
    except SubscriptionBusy:
        raise TemporaryFailure(_("Un autre processus envoie déjà les webhooks de cet abonnement.")) from None
    except DeliveryFailed as failure:
        if give_up:
            raise PermanentFailure(
                _("%(reason)s. Événement abandonné après %(count)s tentatives : renvoyez-le depuis la page Webhooks.")
                % {"reason": failure.reason, "count": unit.attempts}
            ) from None
        raise TemporaryFailure(failure.reason) from None
    return _("%(count)s événement(s) remis à %(url)s.") % {"count": count, "url": subscription.url}


def find_overdue_checks(day: datetime.date) -> Iterator[DueUnit]:
    """List one unit per day for each organisation subscribed to overdue invoices."""
    organisations = (
        Subscription.objects.filter(is_active=True).values_list("organisation_id", flat=True).distinct().order_by()
    )
    for organisation_id in organisations:
        if subscribers(organisation_id, EventType.INVOICE_OVERDUE):
            yield DueUnit(
                key="webhook-overdue:%s:%s" % (organisation_id, day),
                label=_("Factures passées en retard le %(day)s") % {"day": day.strftime("%d/%m/%Y")},
                organisation_id=organisation_id,
            )


def queue_overdue(unit: JobUnit) -> str:
    """Queue invoice.overdue for each open invoice whose due date passed in the last week, once per invoice."""
    day = unit.due_on
    invoices = Invoice.objects.filter(
        organisation_id=unit.organisation_id,
        status=InvoiceStatus.ISSUED,
        due_date__lt=day,
        due_date__gte=day - OVERDUE_CATCH_UP,
    ).exclude(type_code="381")
    facts = [
        ("%s:%s" % (EventType.INVOICE_OVERDUE, invoice.pk), invoice.pk) for invoice in invoices if invoice.balance() > 0
    ]
    queued = emit_many(unit.organisation_id, EventType.INVOICE_OVERDUE, facts)
    return _("%(count)s facture(s) en retard signalée(s).") % {"count": len(facts) if queued else 0}


DELIVER = register(
    Job(
        name="webhooks.deliver",
        label=gettext_lazy("Envoi des webhooks"),
        find_due=find_outboxes,
        run=deliver,
        max_attempts=8,
        backoff=Backoff(first=datetime.timedelta(seconds=30), maximum=datetime.timedelta(hours=1)),
        timeout=SUBSCRIPTION_LEASE * 5,
    )
)
OVERDUE = register(
    Job(
        name="webhooks.overdue",
        label=gettext_lazy("Webhooks des factures en retard"),
        find_due=find_overdue_checks,
        run=queue_overdue,
    )
)


def queue_deliveries() -> None:
    """Hand the pending outboxes to the worker now, instead of at its next sweep."""
    from ardoise.jobs.services import claimable_ids, discover
    from ardoise.jobs.tasks import run_unit

    discover(DELIVER, timezone.localdate())
    for unit_id in claimable_ids(DELIVER, timezone.now(), not_enqueued_since=timezone.now() - DELIVER.lease):
        JobUnit.objects.filter(pk=unit_id).update(enqueued_at=timezone.now())
        run_unit(unit_id)
