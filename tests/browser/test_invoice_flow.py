"""A person in Chromium: log in, create a customer, issue an invoice, download its PDF."""

from __future__ import annotations

import re

import pytest

from ardoise.invoicing.models import Invoice, InvoiceStatus
from tests.conftest import make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_issues_an_invoice_and_downloads_its_pdf(live_server, browser_page, tmp_path):
    organisation = make_organisation()
    make_user("alice@atelier-dupont.fr", organisation, "owner")
    page = browser_page

    # Log in: the session cookie is Secure, which browsers accept on localhost.
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill("alice@atelier-dupont.fr")
    page.get_by_label("Mot de passe").fill("motdepasse-solide-42")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")

    # Create a customer.
    page.goto(live_server.url + "/clients/nouveau/")
    page.get_by_label("Nom ou raison sociale").fill("Boulangerie Martin SAS")
    page.get_by_label("SIREN").fill("552 081 317")
    page.get_by_label("E-mail de facturation").fill("compta@boulangerie-martin.fr")
    page.get_by_label("Adresse de facturation").fill("3 place Bellecour")
    page.get_by_label("Code postal", exact=False).first.fill("69002")
    page.get_by_label("Ville", exact=False).first.fill("Lyon")
    page.get_by_role("button", name="Créer le client").click()
    page.wait_for_url(re.compile(r"/clients/\d+/$"))

    # Write a draft with one line, typed with a French decimal comma.
    page.goto(live_server.url + "/factures/nouvelle/")
    page.locator("select[name='customer']").select_option(label="Boulangerie Martin SAS")
    page.locator("[name='lines-0-name']").fill("Développement web")
    page.locator("[name='lines-0-quantity']").fill("12,5")
    page.locator("[name='lines-0-unit_price']").fill("65")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_url(re.compile(r"/factures/\d+/$"))

    # Issue it, after the confirmation step: issuing cannot be undone.
    page.get_by_role("link", name="Émettre la facture").click()
    page.wait_for_url(re.compile(r"/factures/\d+/emettre/$"))
    assert Invoice.objects.get().status == InvoiceStatus.DRAFT
    page.get_by_role("button", name="Confirmer l'émission").click()
    page.wait_for_selector("text=/F-\\d{4}-0001/")
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.ISSUED
    assert str(invoice.total_with_vat) == "975.00"

    # Download the Factur-X PDF.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF (Factur-X)").click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename == "Facture-%s.pdf" % invoice.number
    assert target.read_bytes() == bytes(invoice.files.pdf)
