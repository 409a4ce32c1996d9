"""The ``ardoise email`` command: send, log and templates."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.customers.models import Contact
from ardoise.mailing.models import EmailTemplate, OutboundEmail

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("email", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_send_goes_to_billing_contacts(issued_invoice, customer, smtp_settings):
    Contact.objects.create(customer=customer, name="Julie", email="julie@boulangerie-martin.fr")

    output = run("send", "F-2026-0001")

    assert output == "F-2026-0001 envoyée à julie@boulangerie-martin.fr.\n"
    assert smtp_settings.messages[0].rcpt_tos == ["julie@boulangerie-martin.fr"]


def test_send_with_given_addresses(issued_invoice, smtp_settings):
    run("send", "F-2026-0001", "--to", "a@exemple.fr", "--to", "b@exemple.fr", "--cc", "c@exemple.fr")

    outbound = OutboundEmail.objects.get()
    assert outbound.to == "a@exemple.fr, b@exemple.fr"
    assert outbound.cc == "c@exemple.fr"
    assert smtp_settings.messages[0].rcpt_tos == ["a@exemple.fr", "b@exemple.fr", "c@exemple.fr"]


def test_send_rejects_invalid_address(issued_invoice, smtp_settings):
    with pytest.raises(CommandError, match=re.escape("--cc : Adresse e-mail invalide : faux@.")):
        run("send", "F-2026-0001", "--cc", "faux@")

    assert smtp_settings.messages == []


def test_send_unknown_number(issued_invoice):
    with pytest.raises(CommandError, match="Aucune facture émise n° « F-2026-0099 »"):
        run("send", "F-2026-0099")


def test_send_refusal_reports_server_reply(issued_invoice, smtp_settings):
    with pytest.raises(CommandError, match=re.escape("Réponse du serveur : inconnu@boulangerie-martin.fr : 550 5.1.1")):
        run("send", "F-2026-0001", "--to", "inconnu@boulangerie-martin.fr")


def test_log_lists_each_attempt(issued_invoice, smtp_settings):
    run("send", "F-2026-0001")
    with pytest.raises(CommandError):
        run("send", "F-2026-0001", "--to", "inconnu@boulangerie-martin.fr")

    lines = run("log", "F-2026-0001").splitlines()

    assert len(lines) == 4
    assert (
        "Envoi manuel  Envoyé  compta@boulangerie-martin.fr  « Facture F-2026-0001 – Atelier Dupont SARL »" in lines[0]
    )
    assert lines[1].strip().endswith("Envoyé")
    assert "Échec  inconnu@boulangerie-martin.fr" in lines[2]
    assert lines[3].strip().endswith("Échec : inconnu@boulangerie-martin.fr : 550 5.1.1 Utilisateur inconnu")


def test_log_without_email(issued_invoice):
    assert run("log", "F-2026-0001") == "Aucun e-mail pour F-2026-0001.\n"


def test_templates_lists_default_and_custom(organisation):
    EmailTemplate.objects.create(
        organisation=organisation, kind="credit_note", subject="Avoir {numero}", body="B", attachment_name="A.pdf"
    )

    lines = run("templates").splitlines()

    assert lines[0].startswith("invoice")
    assert "message par défaut" in lines[0]
    assert "objet : Facture {numero} – {organisation}" in lines[0]
    assert "personnalisé le" in lines[1]
    assert lines[1].endswith("objet : Avoir {numero}")
    assert lines[2].startswith("statement")
