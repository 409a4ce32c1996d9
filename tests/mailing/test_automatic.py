"""Sending invoices automatically at issue, through a real SMTP server on loopback."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from ardoise.customers.models import Contact, ContactRole
from ardoise.invoicing.services import issue_invoice
from ardoise.jobs.models import JobUnit, UnitStatus
from ardoise.jobs.services import run_due
from ardoise.mailing.automatic import queue_invoice_email
from ardoise.mailing.models import DeliveryStatus, Origin, OutboundEmail
from ardoise.mailing.tasks import SEND_ISSUED_INVOICES, find_failed_emails

pytestmark = pytest.mark.django_db

ISSUED_AT = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 4)
SERVER_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "use_tls": False, "timeout": 2},
    }
}


@pytest.fixture
def clock():
    with time_machine.travel(ISSUED_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def auto_customer(customer):
    """The shared customer, with automatic sending, two billing contacts, a copy and a blind copy."""
    customer.auto_send_invoices = True
    customer.email_cc = "gerant@boulangerie-martin.fr"
    customer.email_bcc = "archives@atelier-dupont.fr"
    customer.save()
    Contact.objects.create(customer=customer, name="Julie Martin", email="julie@boulangerie-martin.fr")
    Contact.objects.create(customer=customer, name="Compta", email="compta@boulangerie-martin.fr")
    Contact.objects.create(customer=customer, name="Paul", email="paul@boulangerie-martin.fr", role=ContactRole.OTHER)
    return customer


def issue(draft, capture):
    with capture(execute=True):
        return issue_invoice(draft, today=DAY)


def unit_of(invoice) -> JobUnit:
    return JobUnit.objects.get(job=SEND_ISSUED_INVOICES.name, key="send:%s" % invoice.pk)


def test_issue_sends_to_billing_contacts(
    draft_invoice, auto_customer, smtp_settings, clock, django_capture_on_commit_callbacks
):
    invoice = issue(draft_invoice, django_capture_on_commit_callbacks)

    outbound = OutboundEmail.objects.get(invoice=invoice)
    envelope = smtp_settings.messages[0]
    assert len(smtp_settings.messages) == 1
    assert envelope.rcpt_tos == [
        "julie@boulangerie-martin.fr",
        "compta@boulangerie-martin.fr",
        "gerant@boulangerie-martin.fr",
        "archives@atelier-dupont.fr",
    ]
    assert b"archives@atelier-dupont.fr" not in envelope.original_content
    assert outbound.origin == Origin.AUTOMATIC
    assert outbound.status == DeliveryStatus.SENT
    assert outbound.subject == "Facture F-2026-0001 – Atelier Dupont SARL"
    assert [attempt.status for attempt in outbound.attempts.all()] == [DeliveryStatus.SENT]
    assert unit_of(invoice).status == UnitStatus.DONE


def test_issue_without_setting_sends_nothing(draft_invoice, smtp_settings, django_capture_on_commit_callbacks):
    issue(draft_invoice, django_capture_on_commit_callbacks)

    assert smtp_settings.messages == []
    assert not OutboundEmail.objects.exists()
    assert not JobUnit.objects.filter(job=SEND_ISSUED_INVOICES.name).exists()


def test_customer_without_address_gets_failure(
    draft_invoice, customer, smtp_settings, django_capture_on_commit_callbacks
):
    customer.auto_send_invoices = True
    customer.email = ""
    customer.save()

    invoice = issue(draft_invoice, django_capture_on_commit_callbacks)

    outbound = OutboundEmail.objects.get(invoice=invoice)
    assert outbound.status == DeliveryStatus.FAILED
    assert outbound.error == (
        "Le client « Boulangerie Martin SAS » n'a ni contact de facturation ni e-mail : ajoutez-en un sur sa "
        "fiche, puis envoyez la facture depuis sa page."
    )
    assert smtp_settings.messages == []


def test_server_down_retried_with_backoff(
    draft_invoice, auto_customer, settings, smtp_server, clock, django_capture_on_commit_callbacks
):
    controller, handler = smtp_server
    settings.MAILERS = SERVER_DOWN
    invoice = issue(draft_invoice, django_capture_on_commit_callbacks)
    unit = unit_of(invoice)
    assert unit.status == UnitStatus.PENDING
    assert unit.run_after == ISSUED_AT + datetime.timedelta(minutes=5)

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "use_tls": False, "timeout": 5},
        }
    }
    clock.shift(datetime.timedelta(minutes=4))
    assert run_due(DAY, [SEND_ISSUED_INVOICES]).outcomes == []
    clock.shift(datetime.timedelta(minutes=1))
    run_due(DAY, [SEND_ISSUED_INVOICES])

    outbound = OutboundEmail.objects.get(invoice=invoice)
    attempts = list(outbound.attempts.all())
    assert len(handler.messages) == 1
    assert outbound.status == DeliveryStatus.SENT
    assert [attempt.status for attempt in attempts] == [DeliveryStatus.FAILED, DeliveryStatus.SENT]
    assert [attempt.attempted_at for attempt in attempts] == [ISSUED_AT, ISSUED_AT + datetime.timedelta(minutes=5)]
    assert attempts[0].reply != ""
    assert unit_of(invoice).status == UnitStatus.DONE
    # The retry job of manual e-mails leaves automatic ones to their own job.
    assert list(find_failed_emails(DAY)) == []


def test_refused_recipient_fails_for_good(
    draft_invoice, customer, smtp_settings, clock, django_capture_on_commit_callbacks
):
    customer.auto_send_invoices = True
    customer.email = "inconnu@boulangerie-martin.fr"
    customer.save()

    invoice = issue(draft_invoice, django_capture_on_commit_callbacks)

    outbound = OutboundEmail.objects.get(invoice=invoice)
    unit = unit_of(invoice)
    assert outbound.status == DeliveryStatus.FAILED
    assert outbound.attempts.get().reply == "inconnu@boulangerie-martin.fr : 550 5.1.1 Utilisateur inconnu"
    assert unit.status == UnitStatus.FAILED
    assert "550 5.1.1 Utilisateur inconnu" in unit.error


def test_sweep_sends_email_left_queued_once(draft_invoice, auto_customer, smtp_settings, clock):
    # Issued without running the commit callbacks: as if the process died right after the commit.
    invoice = issue_invoice(draft_invoice, today=DAY)
    assert OutboundEmail.objects.get(invoice=invoice).status == DeliveryStatus.QUEUED

    run_due(DAY, [SEND_ISSUED_INVOICES])
    run_due(DAY, [SEND_ISSUED_INVOICES])
    queue_invoice_email(invoice)

    assert len(smtp_settings.messages) == 1
    assert OutboundEmail.objects.filter(invoice=invoice).count() == 1
    assert unit_of(invoice).status == UnitStatus.DONE


def test_detail_page_shows_attempts_and_retry(
    owner_client, draft_invoice, auto_customer, settings, clock, django_capture_on_commit_callbacks
):
    settings.MAILERS = SERVER_DOWN
    invoice = issue(draft_invoice, django_capture_on_commit_callbacks)
    outbound = OutboundEmail.objects.get(invoice=invoice)

    text = owner_client.get(outbound.get_absolute_url()).content.decode()

    assert "Envoi automatique à l&#x27;émission" in text
    assert "Tentatives d'envoi" in text
    assert "archives@atelier-dupont.fr" in text
    assert "Ardoise le renverra automatiquement après le 04/12/2026 10:05." in text


def test_many_billing_contacts_all_receive(
    draft_invoice, customer, smtp_settings, clock, django_capture_on_commit_callbacks
):
    customer.auto_send_invoices = True
    customer.save()
    addresses = ["service-comptabilite-fournisseurs-%02d@boulangerie-martin.fr" % index for index in range(20)]
    for address in addresses:
        Contact.objects.create(customer=customer, email=address)

    invoice = issue(draft_invoice, django_capture_on_commit_callbacks)

    assert len(", ".join(addresses)) > 500
    assert OutboundEmail.objects.get(invoice=invoice).status == DeliveryStatus.SENT
    assert smtp_settings.messages[0].rcpt_tos == addresses
