"""The draft editor in Chromium leaves the console clean: no blocked inline style, no missing favicon."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ardoise.catalogue.models import Product
from ardoise.customers.models import Customer
from tests.browser.conftest import log_in
from tests.conftest import make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_console_stays_clean(live_server, browser_page):
    organisation = make_organisation()
    make_user("alice@atelier-dupont.fr", organisation, "owner")
    Customer.objects.create(organisation=organisation, name="Boulangerie Martin SAS", city="Lyon", postcode="69002")
    Product.objects.create(organisation=organisation, name="Développement web", unit_price=Decimal("65.0000"))
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "alice@atelier-dupont.fr")

    page.goto(live_server.url + "/factures/nouvelle/")
    # Resizing a textarea by hand gives it a style attribute, which htmx used to copy when it swapped the line.
    page.locator("#id_lines-0-description").evaluate("element => { element.style.height = '90px'; }")
    page.get_by_role("button", name="+ Ajouter une ligne").click()
    page.wait_for_selector("[name='lines-1-name']")
    page.locator("select[name='lines-0-product']").select_option(label="Développement web")
    expect(page.locator("[name='lines-0-name']")).to_have_value("Développement web")
    page.wait_for_timeout(500)

    assert errors == []


def test_charge_row_typed_in_browser_updates_totals(live_server, browser_page):
    organisation = make_organisation()
    make_user("alice@atelier-dupont.fr", organisation, "owner")
    Customer.objects.create(organisation=organisation, name="Boulangerie Martin SAS", city="Lyon", postcode="69002")
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "alice@atelier-dupont.fr")

    page.goto(live_server.url + "/factures/nouvelle/")
    page.locator("[name='lines-0-name']").fill("Conseil")
    page.locator("[name='lines-0-unit_price']").fill("100")
    page.get_by_role("button", name="+ Ajouter une remise ou des frais").click()
    page.locator("[name='adjustments-0-reason']").fill("Frais de port")
    page.locator("[name='adjustments-0-amount']").fill("15,00")

    expect(page.locator("#totals")).to_contain_text("Frais de port")
    expect(page.locator("#totals")).to_contain_text("138,00")
    assert page.locator("#id_adjustments-TOTAL_FORMS").input_value() == "1"
    assert errors == []
