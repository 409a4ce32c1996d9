"""End to end in Chromium: a quote sent by e-mail, accepted by the customer on the portal, and its deposit invoice."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from playwright.sync_api import expect

from ardoise.customers.models import Customer
from ardoise.invoicing.models import DocumentType, InvoiceStatus
from ardoise.portal.models import QuoteDecision
from ardoise.quotes.billing_models import QuoteInvoice
from ardoise.quotes.models import Quote, QuoteStatus
from tests.browser.conftest import log_in
from tests.conftest import make_organisation, make_user
from tests.mailing.conftest import smtp_server, smtp_settings  # noqa: F401 (the SMTP server on loopback)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PORTAL_URL = re.compile(r"https?://[^\s]+/portail/[A-Za-z0-9_.-]+/")


def received(envelope) -> tuple[email.message.EmailMessage, str]:
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    return message, message.get_body(preferencelist=("plain",)).get_content()


def test_quote_accepted_online_gets_its_deposit_invoice(live_server, browser_page, smtp_settings, settings):  # noqa: F811
    settings.BASE_URL = live_server.url
    organisation = make_organisation()
    make_user("alice@atelier-dupont.fr", organisation, "owner")
    Customer.objects.create(
        organisation=organisation,
        name="Boulangerie Martin SAS",
        siren="552081317",
        email="compta@boulangerie-martin.fr",
        address_line1="3 place Bellecour",
        postcode="69002",
        city="Lyon",
    )
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    # The business writes a quote asking for a 30 % deposit, invoiced automatically on acceptance.
    log_in(page, live_server, "alice@atelier-dupont.fr")
    page.goto(live_server.url + "/devis/nouveau/")
    page.locator("select[name='customer']").select_option(label="Boulangerie Martin SAS")
    page.locator("[name='lines-0-name']").fill("Refonte du site")
    page.locator("[name='lines-0-quantity']").fill("10")
    page.locator("[name='lines-0-unit_price']").fill("500")
    page.get_by_label("Acompte demandé (%)").fill("30")
    page.get_by_label("facturer l'acompte automatiquement à l'acceptation en ligne", exact=False).check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_url(re.compile(r"/devis/\d+/$"))

    # It issues the quote and sends it with the form's message, which contains {lien}.
    page.get_by_role("button", name="Émettre").click()
    expect(page.get_by_role("heading", name=re.compile(r"D-\d{4}-0001"))).to_be_visible()
    expect(page.locator("[name='body']")).to_contain_text("{lien}")
    page.get_by_role("button", name="Envoyer avec le PDF").click()
    expect(page.get_by_text("Devis envoyé à compta@boulangerie-martin.fr")).to_be_visible()
    quote = Quote.objects.get()
    assert quote.status == QuoteStatus.SENT

    # The customer opens the link of the e-mail in a browser of their own, without any session.
    assert [message.rcpt_tos for message in smtp_settings.messages] == [["compta@boulangerie-martin.fr"]]
    quote_email, body = received(smtp_settings.messages[0])
    assert [part.get_filename() for part in quote_email.iter_attachments()] == ["Devis-%s.pdf" % quote.number]
    portal_url = PORTAL_URL.search(body).group(0)
    assert portal_url.startswith(live_server.url + "/portail/")
    customer_context = page.context.browser.new_context(locale="fr-FR")
    customer_page = customer_context.new_page()
    customer_page.set_default_timeout(15_000)
    customer_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    customer_page.goto(portal_url)
    expect(customer_page.get_by_role("heading", name="Devis %s" % quote.number)).to_be_visible()

    # The customer accepts, with their name and the explicit checkbox.
    customer_page.get_by_label("Vos nom et prénom").first.fill("Jeanne Martin")
    customer_page.get_by_label(
        re.compile(r"J'accepte le devis %s d'un montant de 6.000,00.€ TTC" % quote.number)
    ).check()
    customer_page.get_by_role("button", name="Accepter le devis").click()
    expect(customer_page.get_by_text(re.compile(r"Devis accepté en ligne le .* par Jeanne Martin"))).to_be_visible()
    customer_context.close()

    # The quote is accepted with its evidence, and the deposit invoice is issued and e-mailed.
    quote.refresh_from_db()
    assert quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.PARTIALLY_INVOICED)
    decision = QuoteDecision.objects.get()
    assert decision.name == "Jeanne Martin"
    assert decision.pdf_sha256 == quote.pdf_sha256
    assert "Chrom" in decision.user_agent
    deposit = QuoteInvoice.objects.get(quote=quote, kind="deposit").invoice
    assert deposit.status == InvoiceStatus.ISSUED
    assert deposit.type_code == DocumentType.DEPOSIT_INVOICE
    assert str(deposit.total_with_vat) == "1800.00"
    to_customer = [m for m in smtp_settings.messages if m.rcpt_tos == ["compta@boulangerie-martin.fr"]]
    deposit_email, _body = received(to_customer[-1])
    assert len(to_customer) == 2
    assert deposit.number in deposit_email["Subject"]
    assert [part.get_filename() for part in deposit_email.iter_attachments()] == ["Facture-%s.pdf" % deposit.number]
    to_business = [m for m in smtp_settings.messages if m.rcpt_tos == ["factures@atelier-dupont.fr"]]
    assert len(to_business) == 1
    assert "accepté en ligne par Jeanne Martin" in received(to_business[0])[0]["Subject"]

    # Back on the quote's page, the evidence is shown to the business.
    page.goto(live_server.url + quote.get_absolute_url())
    expect(page.get_by_role("heading", name="Accepté en ligne par le client")).to_be_visible()
    expect(page.get_by_text(quote.pdf_sha256)).to_be_visible()
    assert errors == []
