"""The draft editor in Chromium moves the lines' VAT with the chosen customer and the line's nature."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ardoise.customers.models import Customer
from tests.browser.conftest import log_in
from tests.conftest import make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_and_nature_set_line_vat(live_server, browser_page):
    organisation = make_organisation()
    make_user("alice@atelier-dupont.fr", organisation, "owner")
    Customer.objects.create(
        organisation=organisation, name="Müller GmbH", country_code="DE", vat_number="DE136695976", city="Berlin"
    )
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "alice@atelier-dupont.fr")

    page.goto(live_server.url + "/factures/nouvelle/")
    page.locator("[name='lines-0-name']").fill("Machine")
    page.locator("[name='lines-0-unit_price']").fill("900")
    page.locator("#id_customer").select_option(label="Müller GmbH")

    expect(page.locator("#id_lines-0-exemption")).to_have_value("reverse_charge")
    expect(page.locator("#id_lines-0-vat_rate")).to_have_value("0.00")
    expect(page.locator("#vat-situation")).to_contain_text("Ligne 1 (Machine) : TVA passée de 20")

    page.locator("#id_lines-0-kind").select_option("goods")
    expect(page.locator("#id_lines-0-exemption")).to_have_value("intra_eu_goods")

    page.get_by_role("button", name="+ Ajouter une remise ou des frais").click()
    expect(page.locator("#id_adjustments-0-exemption")).to_have_value("intra_eu_goods")
    expect(page.locator("#id_adjustments-0-vat_rate")).to_have_value("0.00")
    assert errors == []
