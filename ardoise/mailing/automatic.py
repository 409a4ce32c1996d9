"""Sending invoices automatically when they are issued, for customers who asked for it.

Issuing writes the e-mail as a « queued » record in the same transaction, so
the database records what remains to send even if the process dies right
after the commit. The unit ``send:<invoice id>`` of the job ``mailing.send_issued``
(``ardoise/mailing/tasks.py``) then sends it once, after the commit, and
retries it with backoff. A sweep finds the queued records that no worker
took.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.audit.services import record
from ardoise.customers.contacts import billing_recipients
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.mailing.models import DeliveryStatus, Origin, OutboundEmail
from ardoise.mailing.templating import compose_invoice_email, insert_portal_link

logger = logging.getLogger(__name__)


def connect() -> None:
    post_save.connect(_on_invoice_saved, sender=Invoice, dispatch_uid="mailing_invoice_issued")


def _on_invoice_saved(sender: Any, instance: Invoice, raw: bool = False, **kwargs: Any) -> None:
    # An issued row is saved once, by issue_invoice: the model refuses any later save.
    # A raw save (loaddata restoring a backup) replays history and sends nothing.
    if raw or instance.status != InvoiceStatus.ISSUED or not instance.customer.auto_send_invoices:
        return
    queue_invoice_email(instance)


def queue_invoice_email(invoice: Invoice) -> OutboundEmail:
    """Write the automatic e-mail of an issued invoice and have it sent after the commit; once per invoice.

    The e-mail goes to the customer's billing contacts with its default copies,
    worded by the organisation's template. A customer without any address gets
    a « failed » record saying so, which the dashboard shows. Calling this again
    for the same invoice returns the existing record.
    """
    existing = OutboundEmail.objects.filter(invoice=invoice, origin=Origin.AUTOMATIC).first()
    if existing is not None:
        return existing

    composed = compose_invoice_email(invoice)
    to, cc, bcc = billing_recipients(invoice.customer)
    outbound = OutboundEmail.objects.create(
        organisation=invoice.organisation,
        invoice=invoice,
        origin=Origin.AUTOMATIC,
        to=", ".join(to),
        cc=", ".join(cc),
        bcc=", ".join(bcc),
        subject=composed.subject,
        # The record is what the job sends, so the portal link is created now, in the issue's transaction.
        body=insert_portal_link(invoice, composed.body),
        attachment_name=composed.attachment_name,
    )
    if not to:
        outbound.status = DeliveryStatus.FAILED
        outbound.error = _(
            "Le client « %(customer)s » n'a ni contact de facturation ni e-mail : ajoutez-en un sur sa fiche, "
            "puis envoyez la facture depuis sa page."
        ) % {"customer": invoice.customer.name}
        outbound.save(update_fields=["status", "error"])
        record(invoice.organisation, "email.failed", invoice, data={"to": "", "error": outbound.error})
        logger.warning(
            "automatic e-mail without recipient organisation=%s invoice=%s", invoice.organisation_id, invoice.pk
        )
        return outbound

    invoice_id = invoice.pk
    transaction.on_commit(lambda: start_sending(invoice_id))
    return outbound


def start_sending(invoice_id: int) -> None:
    """Create the unit that sends the invoice's automatic e-mail and hand it to the queue."""
    from ardoise.jobs.models import JobUnit
    from ardoise.jobs.services import add_units
    from ardoise.jobs.tasks import run_unit
    from ardoise.mailing.tasks import SEND_ISSUED_INVOICES, due_unit, send_key

    outbound = OutboundEmail.objects.filter(invoice_id=invoice_id, origin=Origin.AUTOMATIC).first()
    if outbound is None:
        return
    # Only this invoice's unit: listing every queued e-mail after each issue would cost a batch of n issues n².
    add_units(SEND_ISSUED_INVOICES, [due_unit(outbound)], timezone.localdate())
    units = JobUnit.objects.filter(job=SEND_ISSUED_INVOICES.name, key=send_key(invoice_id))
    unit_id = units.values_list("pk", flat=True).first()
    if unit_id is None:
        return
    # Marked as handed to the queue, so that the next sweep does not queue it a second time.
    units.update(enqueued_at=timezone.now())
    run_unit(unit_id)
