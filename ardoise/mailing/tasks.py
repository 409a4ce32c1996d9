"""Background work of the mailing app: sending issued invoices automatically, and again the e-mails that failed.

An e-mail is sent by the web request that requests it. When the SMTP server
is down or the process dies during the conversation, the record stays
« failed » or « queued ». The ``mailing.retry_failed`` job finds such
records of invoices and quotes in the database and sends them again with
growing delays, a limited number of times.

NOTE: delivery is at least once. A worker killed after the SMTP server
accepted the message but before the record was marked « sent » leaves the
unit « running ». Once its lease has passed, the unit is taken again and the
message sent a second time. Not sending it again (at most once) would leave
an invoice undelivered with no sign to the sender, which costs more than a
duplicate. The copy carries the same Message-ID, which lets mail clients
and servers that deduplicate on it drop it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import Backoff, DueUnit, Job, PermanentFailure, TemporaryFailure, register
from ardoise.mailing.models import DeliveryStatus, Origin, OutboundEmail
from ardoise.mailing.services import DeliveryError, resend_email

# Only recent failures are sent again: an invoice e-mail that failed last month is no longer expected.
RETRY_WINDOW = datetime.timedelta(days=2)
# Leaves the sender time to correct and resend by hand before the first automatic attempt.
FIRST_RETRY_DELAY = datetime.timedelta(minutes=5)
# A « queued » record older than this was left by a process that died while sending it.
STALE_QUEUED_AFTER = datetime.timedelta(minutes=10)


def retry_key(email: OutboundEmail) -> str:
    return "email:%s" % email.pk


def _newer_email_of_same_invoice() -> Exists:
    return Exists(OutboundEmail.objects.filter(invoice=OuterRef("invoice"), pk__gt=OuterRef("pk")))


def _newer_email_of_same_quote() -> Exists:
    return Exists(OutboundEmail.objects.filter(quote=OuterRef("quote"), pk__gt=OuterRef("pk")))


def _has_newer_email(email: OutboundEmail) -> bool:
    newer = OutboundEmail.objects.filter(pk__gt=email.pk)
    if email.invoice_id is not None:
        return newer.filter(invoice=email.invoice_id).exists()
    return newer.filter(quote=email.quote_id).exists()


def find_failed_emails(day: datetime.date) -> Iterator[DueUnit]:
    """List the invoice and quote e-mails to send again: failed or abandoned, recent, and the latest of their document.

    Only a document's latest e-mail is sent again: once the sender has written
    another one for the same invoice or quote, whatever became of it, the
    older one is out of date.
    """
    now = timezone.now()
    end_of_day = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    emails = (
        OutboundEmail.objects.filter(
            Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.QUEUED, created_at__lte=now - STALE_QUEUED_AFTER),
            Q(invoice__isnull=False) | Q(quote__isnull=False),
            origin=Origin.MANUAL,
            created_at__gte=now - RETRY_WINDOW,
            created_at__lt=end_of_day,
        )
        .exclude(_newer_email_of_same_invoice())
        .exclude(_newer_email_of_same_quote())
        .order_by("pk")
    )
    for email in emails:
        yield DueUnit(
            key=retry_key(email),
            label=_("E-mail « %(subject)s » à %(to)s") % {"subject": email.subject, "to": email.to},
            organisation_id=email.organisation_id,
            object_id=email.pk,
            not_before=email.created_at + FIRST_RETRY_DELAY,
        )


def _send_recorded(email: OutboundEmail, unit: JobUnit) -> str:
    """Send the record through the SMTP server; turn a delivery failure into the job's failure."""
    try:
        resend_email(email, attempt=unit.attempts)
    except DeliveryError as error:
        if not error.permanent:
            raise TemporaryFailure(error.reason) from error
        if email.quote_id is not None:
            message = _("Refusé par le serveur d'envoi : %(reason)s. Corrigez l'adresse puis renvoyez le devis.")
        else:
            message = _("Refusé par le serveur d'envoi : %(reason)s. Corrigez l'adresse puis renvoyez la facture.")
        raise PermanentFailure(message % {"reason": error.reason}) from error
    if email.quote_id is not None:
        # A quote still « émis » becomes « envoyé », as when its e-mail succeeds at the first attempt.
        from ardoise.quotes.mailing import quote_email_delivered

        quote_email_delivered(email)
    if email.status == DeliveryStatus.WRITTEN:
        return _("Écrit dans la boîte d'envoi locale (aucun serveur SMTP configuré).")
    return _("Envoyé à %(to)s.") % {"to": email.to}


def send_failed_email(unit: JobUnit) -> str:
    """Send the unit's e-mail again, unless it was delivered or replaced since."""
    emails = OutboundEmail.objects.select_related("organisation", "invoice", "quote")
    email = emails.filter(pk=unit.object_id).first() if unit.object_id is not None else None
    if email is None:
        return _("L'e-mail n'existe plus : rien à renvoyer.")
    if email.status in (DeliveryStatus.SENT, DeliveryStatus.WRITTEN):
        return _("Déjà remis : rien à renvoyer.")
    if _has_newer_email(email):
        if email.quote_id is not None:
            return _("Un e-mail plus récent a été écrit pour ce devis : celui-ci n'est pas renvoyé.")
        return _("Un e-mail plus récent a été écrit pour cette facture : celui-ci n'est pas renvoyé.")
    return _send_recorded(email, unit)


RETRY_FAILED_EMAILS = register(
    Job(
        name="mailing.retry_failed",
        label=gettext_lazy("Nouvel envoi des e-mails en échec"),
        find_due=find_failed_emails,
        run=send_failed_email,
        max_attempts=8,
        # 5, 10, 20, 40, 80, 160, 240 minutes: about nine hours, enough for a mail server outage overnight.
        backoff=Backoff(first=datetime.timedelta(minutes=5), maximum=datetime.timedelta(hours=4)),
    )
)


def send_key(invoice_id: int) -> str:
    return "send:%s" % invoice_id


def due_unit(email: OutboundEmail) -> DueUnit:
    """Return the unit that sends an invoice's automatic e-mail."""
    return DueUnit(
        key=send_key(email.invoice_id or 0),
        label=_("Envoi automatique de « %(subject)s » à %(to)s") % {"subject": email.subject, "to": email.to},
        organisation_id=email.organisation_id,
        object_id=email.pk,
    )


def find_automatic_emails(day: datetime.date) -> Iterator[DueUnit]:
    """List the automatic e-mails of issued invoices still « queued »: not sent, or left by a crashed process.

    An e-mail whose attempt failed is « failed » and is not listed again: its
    unit already exists and retries it with backoff.
    """
    end_of_day = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    emails = OutboundEmail.objects.filter(
        origin=Origin.AUTOMATIC, status=DeliveryStatus.QUEUED, invoice__isnull=False, created_at__lt=end_of_day
    )
    for email in emails.order_by("pk"):
        yield due_unit(email)


def send_automatic_email(unit: JobUnit) -> str:
    """Send an issued invoice's automatic e-mail, unless it was delivered already."""
    emails = OutboundEmail.objects.select_related("organisation", "invoice")
    email = emails.filter(pk=unit.object_id, origin=Origin.AUTOMATIC).first() if unit.object_id is not None else None
    if email is None:
        return _("L'e-mail n'existe plus : rien à envoyer.")
    if email.status in (DeliveryStatus.SENT, DeliveryStatus.WRITTEN):
        return _("Déjà remis : rien à envoyer.")
    return _send_recorded(email, unit)


SEND_ISSUED_INVOICES = register(
    Job(
        name="mailing.send_issued",
        label=gettext_lazy("Envoi automatique des factures émises"),
        find_due=find_automatic_emails,
        run=send_automatic_email,
        max_attempts=8,
        # 5, 10, 20, 40, 80, 160, 240 minutes between attempts, as for manual e-mails: about nine hours.
        backoff=Backoff(first=datetime.timedelta(minutes=5), maximum=datetime.timedelta(hours=4)),
    )
)
