"""Sending issued invoices: a real SMTP server on loopback, the .eml fallback, failures, the outbox pages."""

from __future__ import annotations

import email
import email.policy
from decimal import Decimal
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import IssuedFile
from ardoise.mailing.models import DeliveryStatus, OutboundEmail
from ardoise.mailing.services import default_body, default_subject, send_invoice_email

NBSP = "\u00a0"
NNBSP = "\u202f"
SUBJECT = "Facture F-2026-0001 – Atelier Dupont SARL"


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.django_db
def test_default_subject_and_body_in_french(issued_invoice):
    body = default_body(issued_invoice)

    assert default_subject(issued_invoice) == SUBJECT
    assert "facture F-2026-0001 du 04/12/2026" in body
    assert "d'un montant de 1%s065,00%s€ TTC" % (NNBSP, NBSP) in body
    assert "au plus tard le 03/01/2027" in body
    assert "IBAN FR76 3000 6000 0112 3456 7890 189 (BIC AGRIFRPP)" in body
    assert body.endswith("Cordialement,\nAtelier Dupont SARL")


@pytest.mark.django_db
def test_smtp_delivers_invoice_with_pdf(issued_invoice, smtp_settings, owner):
    outbound = send_invoice_email(
        issued_invoice,
        ["compta@boulangerie-martin.fr"],
        SUBJECT,
        default_body(issued_invoice),
        cc=["gerant@boulangerie-martin.fr"],
        user=owner,
    )

    envelope = smtp_settings.messages[0]
    message = parse(envelope.original_content)
    attachment = next(message.iter_attachments())
    assert outbound.status == DeliveryStatus.SENT
    assert outbound.sent_at is not None
    assert envelope.rcpt_tos == ["compta@boulangerie-martin.fr", "gerant@boulangerie-martin.fr"]
    assert envelope.mail_from == "factures@localhost"
    assert str(make_header(decode_header(message.get("Subject")))) == SUBJECT
    assert message["To"] == "compta@boulangerie-martin.fr"
    assert message["Cc"] == "gerant@boulangerie-martin.fr"
    assert message["From"] == "Atelier Dupont SARL <factures@localhost>"
    assert message["Reply-To"] == "factures@atelier-dupont.fr"
    assert "1\u202f065,00\u00a0€" in message.get_body(preferencelist=("plain",)).get_content()
    assert attachment.get_filename() == "Facture-F-2026-0001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == bytes(IssuedFile.objects.get(invoice=issued_invoice).pdf)


@pytest.mark.django_db
def test_smtp_subject_with_accents_decodes_exactly(issued_invoice, smtp_settings):
    subject = "Relance : facture n° F-2026-0001 – échéance dépassée"

    send_invoice_email(issued_invoice, "compta@boulangerie-martin.fr", subject, "Bonjour")

    raw_subject = parse(smtp_settings.messages[0].original_content).get("Subject")
    assert str(make_header(decode_header(raw_subject))) == subject


@pytest.mark.django_db
def test_smtp_refusal_recorded_with_server_reason(issued_invoice, smtp_settings):
    outbound = send_invoice_email(issued_invoice, ["inconnu@boulangerie-martin.fr"], SUBJECT, "Bonjour")

    outbound.refresh_from_db()
    assert outbound.status == DeliveryStatus.FAILED
    assert "550" in outbound.error
    assert "Utilisateur inconnu" in outbound.error
    assert outbound.sent_at is None
    assert AuditEntry.objects.filter(action="email.failed").count() == 1


@pytest.mark.django_db
def test_unreachable_server_recorded_as_failure(issued_invoice, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "use_tls": False, "timeout": 2},
        }
    }

    outbound = send_invoice_email(issued_invoice, ["compta@boulangerie-martin.fr"], SUBJECT, "Bonjour")

    assert outbound.status == DeliveryStatus.FAILED
    assert outbound.error != ""


@pytest.mark.django_db
def test_without_smtp_writes_eml_file(issued_invoice, eml_settings, owner):
    outbound = send_invoice_email(issued_invoice, ["compta@boulangerie-martin.fr"], SUBJECT, "Bonjour", user=owner)

    path = Path(outbound.eml_file)
    message = parse(path.read_bytes())
    assert outbound.status == DeliveryStatus.WRITTEN
    assert path.parent == Path(eml_settings)
    assert message["Subject"] == SUBJECT
    assert next(message.iter_attachments()).get_filename() == "Facture-F-2026-0001.pdf"
    assert AuditEntry.objects.get(action="email.sent").data["status"] == "written"


@pytest.mark.django_db
def test_draft_cannot_be_sent(draft_invoice):
    with pytest.raises(InvoicingError, match="Seule une facture émise"):
        send_invoice_email(draft_invoice, ["compta@boulangerie-martin.fr"], "Objet", "Corps")

    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_invoice_page_prefills_email_form(owner_client, issued_invoice):
    response = owner_client.get(issued_invoice.get_absolute_url())

    assert 'value="compta@boulangerie-martin.fr"' in response.text
    assert 'value="%s"' % SUBJECT in response.text
    assert "Facture-F-2026-0001.pdf" in response.text


@pytest.mark.django_db
def test_send_form_delivers_and_shows_message(owner_client, issued_invoice, smtp_settings):
    data = {"to": "compta@boulangerie-martin.fr", "cc": "", "subject": SUBJECT, "body": "Bonjour,\n\nCi-joint."}

    response = owner_client.post(reverse("mailing:send", args=[issued_invoice.pk]), data, follow=True)

    assert len(smtp_settings.messages) == 1
    assert "La facture a été envoyée à compta@boulangerie-martin.fr." in response.text
    assert response.redirect_chain[-1][0] == OutboundEmail.objects.get().get_absolute_url()


@pytest.mark.django_db
def test_send_form_rejects_invalid_addresses(owner_client, issued_invoice, smtp_settings):
    data = {"to": "pas-une-adresse", "cc": "ok@exemple.fr, faux@", "subject": SUBJECT, "body": "Bonjour"}

    response = owner_client.post(reverse("mailing:send", args=[issued_invoice.pk]), data)

    assert response.status_code == 200
    assert "Adresse e-mail invalide : faux@." in response.text
    assert OutboundEmail.objects.count() == 0
    assert smtp_settings.messages == []


@pytest.mark.django_db
def test_send_form_smtp_failure_shows_reason(owner_client, issued_invoice, smtp_settings):
    data = {"to": "inconnu@boulangerie-martin.fr", "cc": "", "subject": SUBJECT, "body": "Bonjour"}

    response = owner_client.post(reverse("mailing:send", args=[issued_invoice.pk]), data, follow=True)

    assert response.status_code == 200
    assert "L&#x27;e-mail n&#x27;a pas pu être envoyé" in response.text
    assert "Utilisateur inconnu" in response.text
    assert OutboundEmail.objects.get().status == DeliveryStatus.FAILED


@pytest.mark.django_db
def test_smtp_failure_banner_keeps_form(owner_client, issued_invoice, smtp_settings):
    data = {"to": "inconnu@boulangerie-martin.fr", "cc": "", "subject": SUBJECT, "body": "Bonjour, relance"}

    response = owner_client.post(reverse("mailing:send", args=[issued_invoice.pk]), data)

    banner = response.text.split('<ul class="messages"', 1)[1].split("</ul>", 1)[0]
    assert "L&#x27;e-mail n&#x27;a pas pu être envoyé" in banner
    assert "Utilisateur inconnu" in banner
    assert 'value="inconnu@boulangerie-martin.fr"' in response.text
    assert "Bonjour, relance</textarea>" in response.text


@pytest.mark.django_db
def test_invalid_address_banner_says_e_mail(owner_client, issued_invoice):
    data = {"to": "pas-une-adresse", "cc": "", "subject": SUBJECT, "body": "Bonjour"}

    response = owner_client.post(reverse("mailing:send", args=[issued_invoice.pk]), data)

    text = response.text.replace("&#x27;", "'")
    banner = text.split('<ul class="messages"', 1)[1].split("</ul>", 1)[0]
    assert "L'e-mail n'a pas été envoyé" in banner
    assert "L'adresse e-mail « pas-une-adresse » n'est pas valide" in text
    assert "courriel" not in text


@pytest.mark.django_db
def test_outbox_lists_organisation_messages(owner_client, issued_invoice, eml_settings):
    send_invoice_email(issued_invoice, ["compta@boulangerie-martin.fr"], SUBJECT, "Bonjour")

    response = owner_client.get(reverse("mailing:outbox"))

    assert SUBJECT in response.text
    assert "Écrit dans la boîte d&#x27;envoi locale" in response.text
    assert "F-2026-0001" in response.text


@pytest.mark.django_db
def test_message_page_reads_eml_headers(owner_client, issued_invoice, eml_settings):
    outbound = send_invoice_email(
        issued_invoice, ["compta@boulangerie-martin.fr"], "Facture « été » – n° F-2026-0001", "Bonjour,\nÀ bientôt"
    )

    response = owner_client.get(outbound.get_absolute_url())

    text = response.text
    assert "<dt>Objet</dt><dd>Facture « été » – n° F-2026-0001</dd>" in text
    assert "<dt>De</dt><dd>Atelier Dupont SARL &lt;factures@localhost&gt;</dd>" in text
    assert "<dt>Répondre à</dt><dd>factures@atelier-dupont.fr</dd>" in text
    assert "Facture-F-2026-0001.pdf" in text
    assert "À bientôt" in text


@pytest.mark.django_db
def test_message_page_without_eml_uses_record(owner_client, issued_invoice, organisation):
    outbound = OutboundEmail.objects.create(
        organisation=organisation,
        invoice=issued_invoice,
        to="compta@boulangerie-martin.fr",
        subject=SUBJECT,
        body="Bonjour",
        attachment_name="Facture-F-2026-0001.pdf",
        status=DeliveryStatus.FAILED,
        error="421 Service indisponible",
        eml_file="/etc/passwd",
    )

    response = owner_client.get(outbound.get_absolute_url())

    assert "421 Service indisponible" in response.text
    assert "root:" not in response.text
    assert "Facture-F-2026-0001.pdf" in response.text


def pay(invoice, amount: str) -> None:
    from ardoise.payments.services import record_payment

    record_payment(invoice, Decimal(amount), invoice.issue_date)


@pytest.mark.django_db
def test_default_body_mentions_remaining_balance(issued_invoice):
    pay(issued_invoice, "65.00")

    body = default_body(issued_invoice)
    assert "le reste à payer est de 1%s000,00%s€, à régler au plus tard le 03/01/2027." % (NNBSP, NBSP) in body
    assert "IBAN FR76 3000 6000 0112 3456 7890 189" in body


@pytest.mark.django_db
def test_default_body_thanks_when_paid(issued_invoice):
    pay(issued_invoice, "1065.00")

    body = default_body(issued_invoice)
    assert "que vous avez entièrement réglée. Nous vous remercions de votre paiement." in body
    assert "à régler" not in body
    assert "reste à payer" not in body
    assert "IBAN" not in body


@pytest.mark.django_db
def test_invoice_page_shows_delivery_log(owner_client, issued_invoice, smtp_settings):
    send_invoice_email(issued_invoice, ["inconnu@boulangerie-martin.fr"], SUBJECT, "Bonjour")
    send_invoice_email(issued_invoice, ["compta@boulangerie-martin.fr"], SUBJECT, "Bonjour", bcc=["a@exemple.fr"])

    text = owner_client.get(issued_invoice.get_absolute_url()).content.decode()

    log = text.split('id="journal-envois"', 1)[1]
    assert log.count("<li>") == 2
    assert "inconnu@boulangerie-martin.fr : 550 5.1.1 Utilisateur inconnu" in log
    assert "copie cachée : a@exemple.fr" in log
    assert log.count("Envoi manuel") == 2
