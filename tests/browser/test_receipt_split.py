"""A receipt split over two invoices in Chromium: htmx refills the invoices and the credit left as the user types."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ardoise.customers.models import Customer
from ardoise.payments.models import Receipt
from ardoise.payments.services import customer_credit
from tests.browser.conftest import log_in
from tests.conftest import make_organisation, make_user
from tests.payments.test_receipts import make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def test_receipt_split_over_two_invoices(live_server, browser_page):
    organisation = make_organisation()
    make_user("alice@atelier-dupont.fr", organisation, "owner")
    customer = Customer.objects.create(
        organisation=organisation,
        name="Boulangerie Martin SAS",
        email="compta@boulangerie-martin.fr",
        address_line1="3 place Bellecour",
        postcode="69002",
        city="Lyon",
    )
    today = timezone.localdate()
    # 120,00 € and 60,00 € TTC, the first one due first.
    first = make_invoice(customer, "100.00", issued_on=today - datetime.timedelta(days=60))
    second = make_invoice(customer, "50.00", issued_on=today - datetime.timedelta(days=30))
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "alice@atelier-dupont.fr")

    # Choosing the customer shows its invoices; the amount typed right away still refills them, oldest due first.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Encaissements").click()
    page.get_by_role("link", name="Enregistrer un encaissement").first.click()
    page.get_by_label("Client").select_option(label="Boulangerie Martin SAS")
    page.get_by_label("Montant reçu").fill("150")
    expect(page.locator("#id_invoice_%s" % second.pk)).to_have_value("30,00")
    expect(page.locator("#id_invoice_%s" % first.pk)).to_have_value("120,00")

    # Lowering one allocation shows what stays as customer credit before saving.
    page.locator("#id_invoice_%s" % second.pk).fill("10")
    expect(page.locator("#receipt-summary")).to_contain_text("20,00%s€" % NBSP)
    page.get_by_label("Référence").fill("VIR MARTIN DECEMBRE")
    # Typing starts a preview 400 ms later; saving while it runs aborts it, and htmx logs that as an error.
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.get_by_role("button", name="Enregistrer l'encaissement").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Encaissement du")
    receipt = Receipt.objects.get()
    assert receipt.amount == Decimal("150.00")
    assert receipt.reference == "VIR MARTIN DECEMBRE"
    assert first.balance() == Decimal("0.00")
    assert second.balance() == Decimal("50.00")
    assert customer_credit(customer) == Decimal("20.00")
    assert errors == []
