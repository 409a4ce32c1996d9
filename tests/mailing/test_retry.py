"""Sending failed invoice e-mails again, through a real SMTP server on loopback."""

from __future__ import annotations

import datetime
import email
import email.policy
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from ardoise.audit.models import AuditEntry
from ardoise.jobs.models import JobRun, JobUnit, RunStatus, UnitStatus
from ardoise.jobs.services import run_due
from ardoise.mailing.models import DeliveryStatus, OutboundEmail
from ardoise.mailing.services import message_id, send_invoice_email
from ardoise.mailing.tasks import RETRY_FAILED_EMAILS, find_failed_emails

pytestmark = pytest.mark.django_db

# 10:00 in Paris: the e-mail fails at that time, the first retry is due 5 minutes later.
FAILED_AT = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 4)
TO = "compta@boulangerie-martin.fr"
# Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
SERVER_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "use_tls": False, "timeout": 2},
    }
}


@pytest.fixture
def clock():
    with time_machine.travel(FAILED_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def failed_email(issued_invoice, settings, clock) -> OutboundEmail:
    """An invoice e-mail that failed at 10:00 because the SMTP server was down."""
    mailers = settings.MAILERS
    settings.MAILERS = SERVER_DOWN
    outbound = send_invoice_email(issued_invoice, [TO], "Facture F-2026-0001", "Bonjour,\n\nCi-joint notre facture.")
    settings.MAILERS = mailers
    assert outbound.status == DeliveryStatus.FAILED
    return outbound


def retry() -> list:
    return run_due(DAY, [RETRY_FAILED_EMAILS]).outcomes


def unit_of(outbound: OutboundEmail) -> JobUnit:
    return JobUnit.objects.get(job="mailing.retry_failed", key="email:%s" % outbound.pk)


def received(handler) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        for envelope in handler.messages
    ]


def test_failed_email_is_sent_again_after_five_minutes(failed_email, smtp_settings, clock):
    too_early = retry()
    clock.shift(datetime.timedelta(minutes=5))
    outcomes = retry()

    failed_email.refresh_from_db()
    messages = received(smtp_settings)
    assert too_early == []
    assert [(outcome.status, outcome.text) for outcome in outcomes] == [
        (RunStatus.SUCCEEDED, "Envoyé à compta@boulangerie-martin.fr.")
    ]
    assert failed_email.status == DeliveryStatus.SENT
    assert failed_email.error == ""
    assert failed_email.sent_at == FAILED_AT + datetime.timedelta(minutes=5)
    assert len(messages) == 1
    assert messages[0]["Subject"] == "Facture F-2026-0001"
    assert messages[0]["Message-ID"] == message_id(failed_email)
    assert next(messages[0].iter_attachments()).get_filename() == "Facture-F-2026-0001.pdf"
    assert unit_of(failed_email).label == "E-mail « Facture F-2026-0001 » à compta@boulangerie-martin.fr"


def test_retry_is_written_to_audit_log(failed_email, smtp_settings, clock):
    clock.shift(datetime.timedelta(minutes=5))
    retry()

    entry = AuditEntry.objects.filter(action="email.sent").get()
    assert entry.data == {
        "to": TO,
        "subject": "Facture F-2026-0001",
        "status": "sent",
        "attachment": "Facture-F-2026-0001.pdf",
        "attempt": 1,
    }
    assert entry.object_id == str(failed_email.invoice_id)
    assert entry.user is None


def test_email_sent_once_however_often_swept(failed_email, smtp_settings, clock):
    clock.shift(datetime.timedelta(minutes=5))

    retry()
    retry()
    clock.shift(datetime.timedelta(hours=1))
    retry()

    assert len(smtp_settings.messages) == 1
    assert JobRun.objects.filter(unit=unit_of(failed_email)).count() == 1


def test_server_still_down_is_retried_later(failed_email, settings, clock):
    settings.MAILERS = SERVER_DOWN
    clock.shift(datetime.timedelta(minutes=5))

    outcomes = retry()

    failed_email.refresh_from_db()
    unit = unit_of(failed_email)
    assert [(outcome.status, outcome.will_retry) for outcome in outcomes] == [(RunStatus.FAILED, True)]
    assert failed_email.status == DeliveryStatus.FAILED
    assert unit.status == UnitStatus.PENDING
    assert unit.run_after == FAILED_AT + datetime.timedelta(minutes=10)
    assert unit.error == failed_email.error
    assert AuditEntry.objects.filter(action="email.failed").count() == 2


def test_refused_recipient_is_not_retried(issued_invoice, smtp_settings, clock):
    refused = send_invoice_email(issued_invoice, ["inconnu@boulangerie-martin.fr"], "Facture", "Bonjour")
    clock.shift(datetime.timedelta(minutes=5))

    outcomes = retry()
    clock.shift(datetime.timedelta(hours=2))
    later = retry()

    unit = unit_of(refused)
    assert [(outcome.status, outcome.will_retry) for outcome in outcomes] == [(RunStatus.FAILED, False)]
    assert unit.status == UnitStatus.FAILED
    assert unit.error.startswith("Refusé par le serveur d'envoi : inconnu@boulangerie-martin.fr : 550")
    assert "Corrigez l'adresse puis renvoyez la facture." in unit.error
    assert later == []
    assert smtp_settings.messages == []


def test_newer_email_of_invoice_replaces_failed_one(failed_email, issued_invoice, smtp_settings, clock):
    clock.shift(datetime.timedelta(minutes=1))
    send_invoice_email(issued_invoice, [TO], "Facture F-2026-0001", "Bonjour, nouvel envoi.")
    clock.shift(datetime.timedelta(minutes=10))

    assert retry() == []
    assert len(smtp_settings.messages) == 1


def test_replaced_email_not_sent_again(failed_email, issued_invoice, smtp_settings, clock):
    # The sweep finds the unit first; the sender writes a new e-mail before its first attempt.
    from ardoise.jobs.services import discover

    discover(RETRY_FAILED_EMAILS, DAY)
    send_invoice_email(issued_invoice, [TO], "Facture F-2026-0001", "Bonjour, nouvel envoi.")
    clock.shift(datetime.timedelta(minutes=5))

    outcomes = retry()

    failed_email.refresh_from_db()
    assert [outcome.text for outcome in outcomes] == [
        "Un e-mail plus récent a été écrit pour cette facture : celui-ci n'est pas renvoyé."
    ]
    assert failed_email.status == DeliveryStatus.FAILED
    assert len(smtp_settings.messages) == 1


def test_only_latest_failure_of_invoice_is_due(failed_email, issued_invoice, settings, clock):
    settings.MAILERS = SERVER_DOWN
    second = send_invoice_email(issued_invoice, [TO], "Facture F-2026-0001", "Bonjour")

    due = list(find_failed_emails(DAY))

    assert [unit.key for unit in due] == ["email:%s" % second.pk]


def test_abandoned_queued_email_is_due_after_ten_minutes(issued_invoice, smtp_settings, clock):
    # A web request that died during the SMTP conversation leaves the record « queued ».
    queued = send_invoice_email(issued_invoice, [TO], "Facture", "Bonjour")
    OutboundEmail.objects.filter(pk=queued.pk).update(status=DeliveryStatus.QUEUED, sent_at=None)

    clock.shift(datetime.timedelta(minutes=9))
    early = list(find_failed_emails(DAY))
    clock.shift(datetime.timedelta(minutes=1))
    later = [unit.key for unit in find_failed_emails(DAY)]

    assert early == []
    assert later == ["email:%s" % queued.pk]


def test_old_failures_are_not_sent_again(failed_email, clock):
    clock.shift(datetime.timedelta(days=2, seconds=1))

    assert list(find_failed_emails(DAY + datetime.timedelta(days=2))) == []


def test_failures_after_the_day_are_not_due(failed_email):
    assert list(find_failed_emails(DAY - datetime.timedelta(days=1))) == []


def test_retry_without_smtp_writes_outbox(failed_email, eml_settings, clock):
    clock.shift(datetime.timedelta(minutes=5))

    outcomes = retry()

    failed_email.refresh_from_db()
    assert [outcome.text for outcome in outcomes] == [
        "Écrit dans la boîte d'envoi locale (aucun serveur SMTP configuré)."
    ]
    assert failed_email.status == DeliveryStatus.WRITTEN
    assert Path(failed_email.eml_file).parent == Path(eml_settings)


def test_email_delivered_meanwhile_is_not_sent_again(failed_email, smtp_settings, clock):
    from ardoise.jobs.services import discover

    discover(RETRY_FAILED_EMAILS, DAY)
    OutboundEmail.objects.filter(pk=failed_email.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    clock.shift(datetime.timedelta(minutes=5))

    outcomes = retry()

    assert [outcome.text for outcome in outcomes] == ["Déjà remis : rien à renvoyer."]
    assert smtp_settings.messages == []


def test_message_id_is_stable_per_email(failed_email):
    assert message_id(failed_email) == message_id(OutboundEmail.objects.get(pk=failed_email.pk))
    assert message_id(failed_email) == "<ardoise.20261204090000.%s@localhost>" % failed_email.pk


def test_email_page_announces_next_attempt(owner_client, failed_email, settings, clock):
    settings.MAILERS = SERVER_DOWN
    clock.shift(datetime.timedelta(minutes=5))
    retry()

    response = owner_client.get(failed_email.get_absolute_url())

    assert "Ardoise le renverra automatiquement après le 04/12/2026 10:10." in response.text
    assert 'href="%s"' % unit_of(failed_email).get_absolute_url() in response.text


def test_email_page_says_retries_failed(owner_client, issued_invoice, smtp_settings, clock):
    refused = send_invoice_email(issued_invoice, ["inconnu@boulangerie-martin.fr"], "Facture", "Bonjour")
    clock.shift(datetime.timedelta(minutes=5))
    retry()

    response = owner_client.get(refused.get_absolute_url())

    assert "Les renvois automatiques ont échoué eux aussi." in response.text
