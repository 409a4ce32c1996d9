"""Failed deliveries are named on the dashboard until the document reaches the customer."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from ardoise.mailing.queries import failed_deliveries
from ardoise.mailing.services import send_invoice_email

pytestmark = pytest.mark.django_db


def test_failed_email_shown_with_server_reply(owner_client, issued_invoice, smtp_settings):
    send_invoice_email(issued_invoice, ["inconnu@boulangerie-martin.fr"], "Facture", "Bonjour")

    text = html.unescape(owner_client.get(reverse("dashboard:home")).content.decode())

    assert "E-mails non remis" in text
    assert "inconnu@boulangerie-martin.fr : 550 5.1.1 Utilisateur inconnu" in text


def test_failure_hidden_once_delivered_later(owner_client, issued_invoice, smtp_settings, organisation):
    send_invoice_email(issued_invoice, ["inconnu@boulangerie-martin.fr"], "Facture", "Bonjour")
    send_invoice_email(issued_invoice, ["compta@boulangerie-martin.fr"], "Facture", "Bonjour")

    text = owner_client.get(reverse("dashboard:home")).content.decode()

    assert list(failed_deliveries(organisation)) == []
    assert "E-mails non remis" not in text


def test_other_organisation_failure_not_shown(outsider_client, issued_invoice, smtp_settings):
    send_invoice_email(issued_invoice, ["inconnu@boulangerie-martin.fr"], "Facture", "Bonjour")

    assert "E-mails non remis" not in outsider_client.get(reverse("dashboard:home")).content.decode()
