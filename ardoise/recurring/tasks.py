"""The jobs of recurring plans: generating (and issuing) each occurrence's invoice, then e-mailing it.

Both jobs find their work in the database and use the same key per occurrence,
``recurring:<plan id>:<date>``:

- ``recurring.generate`` lists every occurrence dated on the sweep's day or
  earlier that has no invoice yet (so missed ones are caught up), creates its
  draft once (unique (plan, date)) and issues it when the plan issues automatically.
- ``recurring.send`` lists the issued invoices of plans that send them and
  that have no e-mail yet. It is its own unit, so a crash between issuing and
  sending is made good by the next sweep.

NOTE: an e-mail is sent exactly once except in one window: the SMTP server
has accepted the message and the worker dies before the e-mail record is
marked « sent » (the time of one SMTP reply and one commit). The record then
stays « queued »; the retaken unit recognises it, sends the same message again
with the same Message-ID and flags the occurrence (``email_resent``), which
the plan's history shows. This is at least once, detectably, as for every
Ardoise e-mail (see ardoise/mailing/tasks.py and docs/jobs.md).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.audit.services import record
from ardoise.core.formats import format_date
from ardoise.customers.contacts import billing_recipients
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import InvoiceStatus
from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import DueUnit, Job, PermanentFailure, TemporaryFailure, register
from ardoise.jobs.services import retry_now
from ardoise.mailing.models import DeliveryStatus, Origin, OutboundEmail
from ardoise.mailing.services import DeliveryError, resend_email, send_invoice_email
from ardoise.mailing.tasks import STALE_QUEUED_AFTER
from ardoise.mailing.templating import compose_invoice_email
from ardoise.recurring.models import PriceIndex, RecurringOccurrence, RecurringPlan
from ardoise.recurring.services import (
    generate_occurrence,
    issue_day_for,
    issue_occurrence,
    occurrence_key,
    parse_key,
    reprice_occurrence,
)

logger = logging.getLogger(__name__)

GENERATE = "recurring.generate"
SEND = "recurring.send"

# A « queued » e-mail older than this is left to mailing.retry_failed, which takes such records
# after STALE_QUEUED_AFTER: the margin keeps the two jobs from sending the same record at once.
RESEND_WINDOW = STALE_QUEUED_AFTER - datetime.timedelta(minutes=3)


def find_due_occurrences(day: datetime.date) -> Iterator[DueUnit]:
    """List the occurrences dated ``day`` or earlier that are not generated yet, plan by plan."""
    plans = RecurringPlan.objects.filter(is_active=True, next_date__lte=day).select_related("customer")
    for plan in plans.order_by("next_date", "pk").iterator(chunk_size=500):
        for _index, date in plan.rule.due(plan.next_index, day):
            yield DueUnit(
                key=occurrence_key(plan.pk, date),
                label=_("Facture du %(date)s de l'abonnement « %(plan)s » (%(customer)s)")
                % {"date": format_date(date), "plan": plan.name, "customer": plan.customer.name},
                organisation_id=plan.organisation_id,
                object_id=plan.pk,
            )


def run_generate(unit: JobUnit) -> str:
    plan_id, date = parse_key(unit.key)
    issue_day = issue_day_for(unit.due_on)
    generated = generate_occurrence(plan_id, date, issue_day)
    occurrence = generated.occurrence
    if occurrence is None:
        return generated.reason
    invoice = occurrence.invoice
    if invoice is None:
        return _("Le brouillon de cette échéance a été supprimé : rien à faire.")
    if occurrence.revision_problem and invoice.is_draft:
        occurrence = reprice_occurrence(occurrence.pk)
        if occurrence.revision_problem:
            # Not retried by itself: entering the missing value runs the unit again (release_waiting).
            raise PermanentFailure(occurrence.revision_problem)
    plan = occurrence.plan
    if not plan.auto_issue or not invoice.is_draft:
        prefix = _("Brouillon créé.") if generated.created else _("Déjà générée.")
        if not invoice.is_draft:
            _queue_sending(occurrence, unit)
            return _("Déjà générée et émise : %(number)s.") % {"number": invoice.number}
        return prefix
    try:
        invoice = issue_occurrence(occurrence, issue_day)
    except InvoicingError as error:
        details = "; ".join(str(detail) for detail in error.details)
        raise PermanentFailure(
            _("Le brouillon a été créé mais ne peut pas être émis : %(reason)s Corrigez puis émettez-le vous-même.")
            % {"reason": ("%s %s" % (error.message, details)).strip()}
        ) from error
    occurrence.invoice = invoice
    _queue_sending(occurrence, unit)
    return _("Facture %(number)s émise.") % {"number": invoice.number}


def _queue_sending(occurrence: RecurringOccurrence, generating: JobUnit) -> None:
    """Create the occurrence's sending unit now and hand it to the queue, instead of waiting for the next sweep.

    It becomes due with the generating unit (``run_after``), so that
    ``ardoise run-scheduled`` sends in the same run.
    """
    if not occurrence.auto_send:
        return
    units = JobUnit.objects.filter(job=SEND, key=generating.key)
    JobUnit.objects.bulk_create(
        [
            JobUnit(
                job=SEND,
                key=generating.key,
                organisation_id=generating.organisation_id,
                object_id=occurrence.pk,
                due_on=generating.due_on,
                label=_send_label(occurrence),
                run_after=min(generating.run_after, timezone.now()),
            )
        ],
        ignore_conflicts=True,
    )
    unit_id = units.values_list("pk", flat=True).first()
    if unit_id is not None:
        from ardoise.jobs.tasks import run_unit

        transaction.on_commit(lambda: run_unit(unit_id))


def release_waiting(index: PriceIndex) -> int:
    """Reprice the drafts that waited for a value of ``index``, and run their generating units again.

    Called in the transaction that saves the value: the units are queued when it commits.
    """
    from ardoise.jobs.tasks import run_unit

    released = 0
    waiting = RecurringOccurrence.objects.filter(plan__price_index=index).exclude(revision_problem="")
    for occurrence_id in waiting.values_list("pk", flat=True):
        occurrence = reprice_occurrence(occurrence_id)
        if occurrence.revision_problem:
            continue
        released += 1
        unit = JobUnit.objects.filter(job=GENERATE, key=occurrence_key(occurrence.plan_id, occurrence.date)).first()
        if unit is not None and retry_now(unit):
            transaction.on_commit(partial(run_unit, unit.pk))
    return released


def _send_label(occurrence: RecurringOccurrence) -> str:
    invoice = occurrence.invoice
    return _("Envoi de la facture %(number)s (abonnement « %(plan)s »)") % {
        "number": invoice.number if invoice is not None else "",
        "plan": occurrence.plan.name,
    }


def find_due_sendings(day: datetime.date) -> Iterator[DueUnit]:
    """List the issued invoices of occurrences to send that have no e-mail yet."""
    occurrences = (
        RecurringOccurrence.objects.filter(
            auto_send=True, email__isnull=True, invoice__status=InvoiceStatus.ISSUED, date__lte=day
        )
        .select_related("plan", "invoice")
        .order_by("pk")
    )
    for occurrence in occurrences.iterator(chunk_size=500):
        yield DueUnit(
            key=occurrence_key(occurrence.plan_id, occurrence.date),
            label=_send_label(occurrence),
            organisation_id=occurrence.plan.organisation_id,
            object_id=occurrence.pk,
        )


def run_send(unit: JobUnit) -> str:
    """Send the occurrence's invoice to the customer once; see the module's note for the crash window."""
    occurrences = RecurringOccurrence.objects.select_related("plan", "invoice__organisation", "invoice__customer")
    occurrence = occurrences.filter(pk=unit.object_id).first() if unit.object_id is not None else None
    if occurrence is None or occurrence.invoice is None:
        return _("L'échéance ou sa facture n'existe plus : rien à envoyer.")
    if occurrence.email_id is not None:
        return _("Déjà envoyée.")
    invoice = occurrence.invoice
    if invoice.is_draft:
        raise PermanentFailure(_("La facture n'est pas émise : émettez-la avant de l'envoyer."))

    previous = OutboundEmail.objects.filter(invoice=invoice).order_by("-pk").first()
    if previous is not None and previous.origin == Origin.AUTOMATIC:
        # The customer has automatic sending on: its own job sends this e-mail, once.
        RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email=previous)
        return _("Envoi confié à l'envoi automatique des factures de ce client.")
    if previous is not None:
        return _take_over(occurrence, previous, unit)

    to, cc, bcc = billing_recipients(invoice.customer)
    if not to:
        raise PermanentFailure(
            _("Le client « %(customer)s » n'a pas d'adresse e-mail de facturation : indiquez-la dans sa fiche.")
            % {"customer": invoice.customer.name}
        )
    # Committed before the SMTP conversation, so a retaken attempt can tell that this one may have sent.
    RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email_started_at=timezone.now())
    composed = compose_invoice_email(invoice)
    outbound = send_invoice_email(
        invoice, to, composed.subject, composed.body, cc, bcc=bcc, attachment_name=composed.attachment_name
    )
    RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email=outbound)
    if outbound.status == DeliveryStatus.FAILED:
        return _("Échec de l'envoi (%(error)s) : la tâche « Nouvel envoi des e-mails en échec » réessaiera.") % {
            "error": outbound.error
        }
    return _("Envoyée à %(to)s.") % {"to": outbound.to}


def _take_over(occurrence: RecurringOccurrence, previous: OutboundEmail, unit: JobUnit) -> str:
    """Finish with an e-mail that already exists for the invoice: an earlier attempt's, or one sent by hand."""
    if previous.status != DeliveryStatus.QUEUED:
        RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email=previous)
        if previous.status == DeliveryStatus.FAILED:
            return _("L'envoi précédent a échoué : la tâche « Nouvel envoi des e-mails en échec » s'en charge.")
        return _("Déjà envoyée (e-mail du %(date)s).") % {"date": format_date(timezone.localtime(previous.created_at))}
    # « queued »: an attempt died during the SMTP conversation. The server may have accepted the message.
    if previous.created_at < timezone.now() - RESEND_WINDOW:
        RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email=previous)
        return _("Envoi interrompu : la tâche « Nouvel envoi des e-mails en échec » le reprend.")
    logger.warning(
        "invoice e-mail interrupted, sending it again email=%s occurrence=%s attempt=%s",
        previous.pk,
        occurrence.pk,
        unit.attempts,
    )
    RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email_resent=True)
    record(
        occurrence.plan.organisation,
        "recurring.email_resent",
        occurrence.invoice,
        data={"email": previous.pk, "reason": "interrupted"},
    )
    try:
        resend_email(previous, attempt=unit.attempts)
    except DeliveryError as error:
        RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email=previous)
        if error.permanent:
            raise PermanentFailure(
                _("Refusé par le serveur d'envoi : %(reason)s. Corrigez l'adresse puis renvoyez la facture.")
                % {"reason": error.reason}
            ) from error
        return _("Échec de l'envoi (%(error)s) : la tâche « Nouvel envoi des e-mails en échec » réessaiera.") % {
            "error": error.reason
        }
    except Exception as error:
        raise TemporaryFailure(str(error) or error.__class__.__name__) from error
    RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email=previous)
    return _("Envoyée à nouveau après une interruption (même Message-ID) : le client a pu la recevoir deux fois.")


GENERATE_JOB = register(
    Job(
        name=GENERATE,
        label=gettext_lazy("Factures récurrentes"),
        find_due=find_due_occurrences,
        run=run_generate,
        max_attempts=5,
    )
)

SEND_JOB = register(
    Job(
        name=SEND,
        label=gettext_lazy("Envoi des factures récurrentes"),
        find_due=find_due_sendings,
        run=run_send,
        max_attempts=5,
    )
)
