"""Subjects and attachment names with é, ç, € and narrow no-break spaces decode exactly, whatever the path.

Each test sends through the real SMTP server on loopback and reads the raw
message: the headers must be pure ASCII (RFC 2047 encoded-words for the
subject, RFC 2231 parameters for the file name) and decode to the expected
text character for character.
"""

from __future__ import annotations

import datetime
import email
import email.policy
from email.header import decode_header, make_header
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from ardoise.jobs.services import run_due
from ardoise.mailing.automatic import queue_invoice_email
from ardoise.mailing.models import DeliveryStatus, EmailTemplate
from ardoise.mailing.services import send_invoice_email
from ardoise.mailing.tasks import RETRY_FAILED_EMAILS
from ardoise.mailing.templating import INVOICE

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
NNBSP = "\u202f"
AMOUNT = "1%s065,00%s€" % (NNBSP, NBSP)
EXPECTED_SUBJECT = "Façon Dupont – facture n° F-2026-0001 : %s à régler, reçu ça" % AMOUNT
EXPECTED_FILENAME = "Facture n° F-2026-0001 – %s réglée ç.pdf" % AMOUNT


@pytest.fixture
def accented_template(organisation):
    return EmailTemplate.objects.create(
        organisation=organisation,
        kind=INVOICE.name,
        subject="Façon Dupont – facture n° {numero} : {montant} à régler, reçu ça",
        body="Bonjour {client},\n\nCi-joint la facture {numero} de {montant}.",
        attachment_name="Facture n° {numero} – {montant} réglée ç.pdf",
    )


def check_encoded(raw: bytes) -> None:
    """Assert the message's headers are ASCII and decode to the expected subject and file name."""
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    header_block.decode("ascii")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    attachment = next(message.iter_attachments())
    raw_disposition = raw.split(b"Content-Disposition: attachment", 1)[1].split(b"\r\n\r\n", 1)[0]

    assert b"=?utf-8?" in header_block
    assert str(make_header(decode_header(message.get("Subject")))) == EXPECTED_SUBJECT
    assert message["Subject"] == EXPECTED_SUBJECT
    raw_disposition.decode("ascii")
    # RFC 2231: "filename*=utf-8''…", or continuations "filename*0*=utf-8''…" for a long name.
    assert b"utf-8''Facture%20n%C2%B0" in raw_disposition
    assert attachment.get_filename() == EXPECTED_FILENAME


def test_sent_from_invoice_page(owner_client, issued_invoice, accented_template, smtp_settings):
    initial = owner_client.get(issued_invoice.get_absolute_url()).context["email_form"].initial
    data = {**initial, "bcc": ""}

    owner_client.post(reverse("mailing:send", args=[issued_invoice.pk]), data)

    assert initial["subject"] == EXPECTED_SUBJECT
    assert len(smtp_settings.messages) == 1
    check_encoded(smtp_settings.messages[0].original_content)


def test_sent_from_command_line(issued_invoice, accented_template, smtp_settings):
    out = StringIO()

    call_command("email", "send", "F-2026-0001", stdout=out, stderr=StringIO())

    assert out.getvalue() == "F-2026-0001 envoyée à compta@boulangerie-martin.fr.\n"
    check_encoded(smtp_settings.messages[0].original_content)


def test_sent_by_automatic_job(
    issued_invoice, accented_template, smtp_settings, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outbound = queue_invoice_email(issued_invoice)

    outbound.refresh_from_db()
    assert outbound.status == DeliveryStatus.SENT
    assert outbound.attachment_name == EXPECTED_FILENAME
    check_encoded(smtp_settings.messages[0].original_content)


def test_sent_again_by_retry_job(issued_invoice, accented_template, settings, smtp_settings):
    failed_at = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
    working = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "use_tls": False, "timeout": 2},
        }
    }
    with time_machine.travel(failed_at, tick=False) as clock:
        send_invoice_email(issued_invoice, ["compta@boulangerie-martin.fr"], EXPECTED_SUBJECT, "Bonjour")
        settings.MAILERS = working
        clock.shift(datetime.timedelta(minutes=5))

        run_due(datetime.date(2026, 12, 4), [RETRY_FAILED_EMAILS])

    assert len(smtp_settings.messages) == 1
    check_encoded(smtp_settings.messages[0].original_content)
