"""Customer contacts added with htmx, and an e-mail template previewed, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ardoise.customers.models import Customer
from tests.browser.conftest import log_in
from tests.conftest import make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contacts_added_in_browser_are_saved(live_server, browser_page):
    organisation = make_organisation()
    make_user("alice@atelier-dupont.fr", organisation, "owner")
    customer = Customer.objects.create(
        organisation=organisation,
        name="Boulangerie Martin SAS",
        address_line1="3 place Bellecour",
        city="Lyon",
        postcode="69002",
        siren="552081317",
    )
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "alice@atelier-dupont.fr")

    page.goto(live_server.url + "/clients/%s/modifier/" % customer.pk)
    page.get_by_role("button", name="+ Ajouter un contact").click()
    page.locator("[name='contacts-0-email']").fill("julie@boulangerie-martin.fr")
    page.locator("[name='contacts-0-name']").fill("Julie Martin")
    page.get_by_role("button", name="+ Ajouter un contact").click()
    page.locator("[name='contacts-1-email']").fill("paul@boulangerie-martin.fr")
    page.locator("[name='contacts-1-role']").select_option("other")
    page.get_by_label("Envoyer automatiquement les factures à l'émission").check()
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_text("Documents envoyés à")).to_be_visible()
    assert list(customer.contacts.values_list("name", "email", "role")) == [
        ("Julie Martin", "julie@boulangerie-martin.fr", "billing"),
        ("", "paul@boulangerie-martin.fr", "other"),
    ]
    customer.refresh_from_db()
    assert customer.auto_send_invoices is True
    assert errors == []


def test_template_preview_in_browser(live_server, browser_page):
    organisation = make_organisation()
    make_user("alice@atelier-dupont.fr", organisation, "owner")
    page = browser_page
    log_in(page, live_server, "alice@atelier-dupont.fr")

    page.goto(live_server.url + "/emails/modeles/invoice/")
    page.get_by_label("Objet").fill("Facture {numero} pour {client}")
    page.get_by_role("button", name="Prévisualiser").click()

    expect(page.locator("#preview-subject")).to_contain_text("pour Boulangerie Martin SAS")
