"""The portal link in invoice e-mails: {lien} in templates and default messages, replaced when sending."""

from __future__ import annotations

import email
import email.policy
import re

import pytest

from ardoise.mailing.automatic import queue_invoice_email
from ardoise.mailing.models import EmailTemplate, OutboundEmail
from ardoise.mailing.services import send_invoice_email
from ardoise.mailing.templating import INVOICE, compose_invoice_email, validate_template
from ardoise.portal import links
from ardoise.portal.models import PortalLink

pytestmark = pytest.mark.django_db

URL = re.compile(r"https://factures\.exemple\.fr/portail/[A-Za-z0-9_.-]+/")


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://factures.exemple.fr"


def received_text(envelope) -> tuple[str, list[str]]:
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    content_types = [part.get_content_type() for part in message.walk()]
    return body, content_types


def test_default_body_keeps_the_placeholder_until_sending(issued_invoice):
    composed = compose_invoice_email(issued_invoice)

    assert "voir comment la régler en ligne : {lien}" in composed.body
    assert PortalLink.objects.count() == 0


def test_sending_puts_the_link_in_the_message(issued_invoice, smtp_settings):
    composed = compose_invoice_email(issued_invoice)

    outbound = send_invoice_email(issued_invoice, "compta@boulangerie-martin.fr", composed.subject, composed.body)

    body, _types = received_text(smtp_settings.messages[0])
    url = URL.search(body).group(0)
    assert "{lien}" not in body
    assert url in outbound.body
    link = links.find_link(url.rstrip("/").rsplit("/", 1)[1])
    assert link is not None
    assert link.invoice == issued_invoice


def test_second_e_mail_reuses_the_link(issued_invoice, smtp_settings):
    composed = compose_invoice_email(issued_invoice)

    send_invoice_email(issued_invoice, "compta@boulangerie-martin.fr", composed.subject, composed.body)
    send_invoice_email(issued_invoice, "compta@boulangerie-martin.fr", composed.subject, composed.body)

    first, second = (URL.search(received_text(message)[0]).group(0) for message in smtp_settings.messages)
    assert first == second
    assert PortalLink.objects.count() == 1


def test_body_without_placeholder_creates_no_link(issued_invoice, smtp_settings):
    send_invoice_email(issued_invoice, "compta@boulangerie-martin.fr", "Facture", "Bonjour, voici la facture.")

    assert PortalLink.objects.count() == 0
    assert received_text(smtp_settings.messages[0])[0].strip() == "Bonjour, voici la facture."


def test_organisation_template_may_use_the_placeholder(issued_invoice, smtp_settings):
    EmailTemplate.objects.create(
        organisation=issued_invoice.organisation,
        kind="invoice",
        subject="Facture {numero}",
        body="Votre facture {numero} est en ligne : {lien}",
        attachment_name="Facture-{numero}.pdf",
    )
    composed = compose_invoice_email(issued_invoice)

    send_invoice_email(issued_invoice, "compta@boulangerie-martin.fr", composed.subject, composed.body)

    body = received_text(smtp_settings.messages[0])[0]
    assert re.match(r"Votre facture F-2026-0001 est en ligne : %s" % URL.pattern, body)


def test_invoice_and_credit_note_templates_allow_the_placeholder():
    from ardoise.mailing.templating import CREDIT_NOTE

    assert validate_template(INVOICE, "Facture {numero}", "Lien : {lien}", "Facture-{numero}.pdf") == {}
    assert validate_template(CREDIT_NOTE, "Avoir {numero}", "Lien : {lien}", "Avoir-{numero}.pdf") == {}


def test_template_preview_shows_an_example_address(organisation):
    values = INVOICE.sample_values(organisation)

    assert values["lien"] == "https://factures.exemple.fr/portail/exemple/"


def test_automatic_e_mail_holds_the_link(issued_invoice):
    outbound = queue_invoice_email(issued_invoice)

    assert URL.search(outbound.body)
    assert "{lien}" not in outbound.body
    assert PortalLink.objects.filter(invoice=issued_invoice).count() == 1


def test_send_form_posts_the_link(owner_client, issued_invoice, smtp_settings):
    composed = compose_invoice_email(issued_invoice)

    response = owner_client.post(
        "/emails/facture/%s/envoyer/" % issued_invoice.pk,
        {"to": "compta@boulangerie-martin.fr", "cc": "", "bcc": "", "subject": composed.subject, "body": composed.body},
    )

    assert response.status_code == 302
    link = PortalLink.objects.get()
    assert link.created_by is not None
    assert URL.search(OutboundEmail.objects.get().body)


def test_e_mail_is_plain_text_only(issued_invoice, customer, smtp_settings):
    body = "Bonjour <script>alert(1)</script>,\n{lien}"

    send_invoice_email(issued_invoice, "compta@boulangerie-martin.fr", "Facture <b>F-2026-0001</b>", body)

    text, content_types = received_text(smtp_settings.messages[0])
    assert "text/html" not in content_types
    assert text.startswith("Bonjour <script>alert(1)</script>,\n")
