"""Invoices in other currencies: the currency's decimals, the exchange rate and the VAT in euros (BT-111)."""

from __future__ import annotations

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import etree

from ardoise.core.document import InvoiceDocument
from ardoise.einvoice.validation import validate_cii
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice, refresh_totals
from ardoise.pdf.context import _total_rows
from tests.invoicing.test_editor import TWO_LINES, editor_data, line_fields

DAY = datetime.date(2026, 12, 4)
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def foreign_draft(organisation, customer, currency, rate, lines):
    invoice = Invoice.objects.create(
        organisation=organisation, customer=customer, currency=currency, exchange_rate=rate
    )
    for name, quantity, price, vat_rate in lines:
        InvoiceLine.objects.create(
            invoice=invoice,
            name=name,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            vat_rate=Decimal(vat_rate),
        )
    refresh_totals(invoice)
    return invoice


def tax_totals(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)
    return {element.get("currencyID"): element.text for element in root.iter("{%s}TaxTotalAmount" % RAM)}


@pytest.mark.django_db
def test_usd_invoice_states_vat_in_euros(organisation, customer):
    draft = foreign_draft(
        organisation,
        customer,
        "USD",
        Decimal("0.921456"),
        [("Conseil", "3", "333.335", "20.00"), ("Livre", "2", "19.99", "5.50")],
    )

    invoice = issue_invoice(draft, today=DAY)

    xml = bytes(invoice.files.xml)
    report = validate_cii(xml)
    document = InvoiceDocument.from_json(invoice.document)
    # 3 x 333.335 = 1000.005 -> 1000.01 at 20 %: 200.00; 39.98 at 5.5 %: 2.20; 202.20 USD of VAT.
    assert report.errors == ()
    assert "br-fr" in report.layers
    assert invoice.total_vat == Decimal("202.20")
    assert document.vat_total_eur == Decimal("186.32")  # 202.20 x 0.921456 = 186.318...
    assert tax_totals(xml) == {"USD": "202.20", "EUR": "186.32"}
    assert b"<ram:TaxCurrencyCode>EUR</ram:TaxCurrencyCode>" in xml


@pytest.mark.django_db
def test_jpy_invoice_has_no_decimals(organisation, customer):
    draft = foreign_draft(
        organisation,
        customer,
        "JPY",
        Decimal("0.006123"),
        [("Traduction", "7", "1428.57", "20.00"), ("Frais", "1", "999", "10.00")],
    )

    invoice = issue_invoice(draft, today=DAY)

    xml = bytes(invoice.files.xml)
    report = validate_cii(xml)
    # 7 x 1428.57 = 9999.99 -> 10000 JPY at 20 % = 2000; 999 at 10 % = 99.9 -> 100.
    assert report.errors == ()
    assert invoice.total_without_vat == Decimal("10999")
    assert invoice.total_vat == Decimal("2100")
    assert invoice.amount_due == Decimal("13099")
    assert tax_totals(xml) == {"JPY": "2100", "EUR": "12.86"}  # 2100 x 0.006123 = 12.8583


@pytest.mark.django_db
def test_kwd_amounts_round_to_two_decimals(organisation, customer):
    # The dinar has 3 decimals, but EN 16931 allows 2 in any amount (BR-DEC rules).
    draft = foreign_draft(organisation, customer, "KWD", Decimal("2.98"), [("Étude", "1", "10.1235", "20.00")])

    invoice = issue_invoice(draft, today=DAY)

    invoice.refresh_from_db()
    assert invoice.total_without_vat == Decimal("10.12")
    assert invoice.total_vat == Decimal("2.02")  # 10.12 x 20 % = 2.024
    assert validate_cii(bytes(invoice.files.xml)).errors == ()


@pytest.mark.django_db
def test_foreign_currency_without_rate_cannot_be_issued(organisation, customer):
    draft = foreign_draft(organisation, customer, "USD", None, [("Conseil", "1", "100", "20.00")])

    with pytest.raises(InvoicingError) as raised:
        issue_invoice(draft, today=DAY)

    assert any("« Taux de change », 1 USD = x EUR" in detail for detail in raised.value.details)
    assert Invoice.objects.get(pk=draft.pk).is_draft


@pytest.mark.django_db
def test_pdf_totals_show_rate_and_euros(organisation, customer):
    draft = foreign_draft(organisation, customer, "USD", Decimal("0.921456"), [("Conseil", "1", "100", "20.00")])

    invoice = issue_invoice(draft, today=DAY)

    document = InvoiceDocument.from_json(invoice.document)
    rows = dict(_total_rows(document, document.totals()))
    assert rows["Total TVA"] == "20,00\u00a0USD"
    assert rows["Total TVA en euros (1 USD = 0,921456 EUR)"] == "18,43\u00a0€"


@pytest.mark.django_db
def test_euro_invoice_has_no_tax_currency(draft_invoice):
    invoice = issue_invoice(draft_invoice, today=DAY)

    assert b"TaxCurrencyCode" not in bytes(invoice.files.xml)
    assert InvoiceDocument.from_json(invoice.document).vat_total_eur is None


# Editor


@pytest.mark.django_db
def test_editor_saves_currency_and_french_rate(owner_client, customer):
    data = editor_data(customer, TWO_LINES, currency="usd", exchange_rate="0,921456")

    response = owner_client.post(reverse("invoicing:create"), data)

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert invoice.currency == "USD"
    assert invoice.exchange_rate == Decimal("0.921456")


@pytest.mark.django_db
def test_editor_rejects_unknown_currency(owner_client, customer):
    response = owner_client.post(reverse("invoicing:create"), editor_data(customer, TWO_LINES, currency="EUU"))

    assert response.status_code == 200
    assert Invoice.objects.count() == 0
    assert "« EUU » n&#x27;est pas un code de devise ISO 4217" in response.text


@pytest.mark.django_db
def test_editor_rejects_bad_rate(owner_client, customer):
    data = editor_data(customer, TWO_LINES, currency="USD", exchange_rate="0,92x")

    response = owner_client.post(reverse("invoicing:create"), data)

    assert response.status_code == 200
    assert Invoice.objects.count() == 0
    assert "« 0,92x » n&#x27;est pas un nombre valide" in response.text


@pytest.mark.django_db
def test_euro_invoice_drops_the_rate(owner_client, customer):
    data = editor_data(customer, TWO_LINES, currency="EUR", exchange_rate="1,1")

    owner_client.post(reverse("invoicing:create"), data)

    assert Invoice.objects.get().exchange_rate is None


@pytest.mark.django_db
def test_live_totals_follow_typed_currency(owner_client, customer):
    lines = [line_fields(name="Traduction", quantity="3", unit_price="333,5")]

    response = owner_client.post(reverse("invoicing:totals"), editor_data(customer, lines, currency="JPY"))

    # 3 x 333.5 = 1000.5, rounded half up to 1001 yen.
    assert "1\u202f001\u00a0JPY" in response.content.decode()


@pytest.mark.django_db
def test_live_totals_show_vat_in_euros(owner_client, customer):
    lines = [line_fields(name="Conseil", quantity="1", unit_price="100")]
    data = editor_data(customer, lines, currency="USD", exchange_rate="0,92")

    page = owner_client.post(reverse("invoicing:totals"), data).content.decode()

    # 20,00 USD of VAT x 0.92 = 18,40 €; the line amount is in dollars too.
    assert "Total TVA en euros (1 USD = 0,92 EUR)" in page
    assert "18,40\u00a0€" in page
    assert 'id="lines-0-amount" class="amount" hx-swap-oob="true">100,00\u00a0USD<' in page


@pytest.mark.django_db
def test_issued_page_shows_vat_in_euros(owner_client, organisation, customer):
    draft = foreign_draft(organisation, customer, "USD", Decimal("0.921456"), [("Conseil", "1", "100", "20.00")])
    invoice = issue_invoice(draft, today=DAY)

    page = owner_client.get(invoice.get_absolute_url()).content.decode()

    assert "Total TVA en euros (1 USD = 0,921456 EUR)" in page
    assert "18,43\u00a0€" in page


@pytest.mark.django_db
def test_jpy_credit_notes_keep_rate_and_add_up(organisation, customer):
    from ardoise.invoicing.credit_notes import create_credit_note

    draft = foreign_draft(
        organisation,
        customer,
        "JPY",
        Decimal("0.006123"),
        [("Traduction", "7", "1428.57", "20.00"), ("Frais", "3", "333", "10.00")],
    )
    draft.discount_kind, draft.discount_value = "amount", Decimal("101")
    draft.save()
    invoice = issue_invoice(draft, today=DAY)

    first = issue_invoice(create_credit_note(invoice, {1: Decimal("3"), 2: Decimal("1")}), today=DAY)
    last = issue_invoice(create_credit_note(invoice), today=DAY)

    assert first.exchange_rate == Decimal("0.006123")
    assert first.amount_due == first.amount_due.quantize(Decimal(1))
    # Each credit note rounds its own VAT, so the last one closes the balance with its rounding amount (BT-114).
    assert first.amount_due + last.amount_due == invoice.amount_due
    assert first.total_without_vat + last.total_without_vat == invoice.total_without_vat
    for note in (first, last):
        report = validate_cii(bytes(note.files.xml))
        assert report.errors == (), report.messages()
        assert "EUR" in tax_totals(bytes(note.files.xml))


@pytest.mark.django_db
def test_import_derives_rate_from_vat_in_euros(organisation, other_organisation, customer):
    from ardoise.invoicing.importing import import_invoice_file

    draft = foreign_draft(organisation, customer, "USD", Decimal("0.921456"), [("Conseil", "3", "333.335", "20.00")])
    xml = bytes(issue_invoice(draft, today=DAY).files.xml)

    imported = import_invoice_file(xml, "usd.xml", organisation=other_organisation)

    # BT-111 is rounded to the cent (184.29 EUR for 200.00 USD), so the rate found is one that gives it back.
    assert tax_totals(xml) == {"USD": "200.00", "EUR": "184.29"}
    assert imported.exchange_rate == Decimal("0.921450")
    assert any("1 USD = 0,92145 EUR" in warning for warning in imported.import_warnings)


@pytest.mark.django_db
def test_import_without_vat_in_euros_asks_for_rate(organisation, other_organisation, customer):
    from ardoise.invoicing.importing import import_invoice_file

    draft = foreign_draft(organisation, customer, "USD", Decimal("0.921456"), [("Conseil", "3", "333.335", "20.00")])
    xml = bytes(issue_invoice(draft, today=DAY).files.xml)
    root = etree.fromstring(xml)
    for element in list(root.iter("{%s}TaxTotalAmount" % RAM)):
        if element.get("currencyID") == "EUR":
            element.getparent().remove(element)
    for element in list(root.iter("{%s}TaxCurrencyCode" % RAM)):
        element.getparent().remove(element)

    imported = import_invoice_file(etree.tostring(root), "usd.xml", organisation=other_organisation)

    assert imported.exchange_rate is None
    assert any("saisissez le taux de change (1 USD = … EUR)" in warning for warning in imported.import_warnings)


@pytest.mark.django_db
def test_show_json_gives_rate_and_vat_in_euros(organisation, customer):
    import io
    import json

    from django.core.management import call_command

    draft = foreign_draft(organisation, customer, "USD", Decimal("0.921456"), [("Conseil", "3", "333.335", "20.00")])
    invoice = issue_invoice(draft, today=DAY)
    output = io.StringIO()

    call_command("invoice", "show", invoice.number, "--json", stdout=output)

    summary = json.loads(output.getvalue())
    assert summary["exchange_rate"] == "0.921456"
    assert summary["totals"]["BT-110"] == "200.00"
    assert summary["totals"]["BT-111"] == "184.29"


@pytest.mark.django_db
def test_editor_rejects_implausible_rate(owner_client, customer):
    data = editor_data(customer, TWO_LINES, currency="USD", exchange_rate="1000000")

    response = owner_client.post(reverse("invoicing:create"), data)

    assert Invoice.objects.count() == 0
    assert "Le taux de change 1000000 semble faux" in html.unescape(response.text)


@pytest.mark.django_db
def test_editor_rejects_deposit_decimals_of_currency(owner_client, customer):
    data = editor_data(customer, TWO_LINES, currency="JPY", exchange_rate="0,006", prepaid_amount="100,50")

    response = owner_client.post(reverse("invoicing:create"), data)

    assert Invoice.objects.count() == 0
    assert "100,5 a trop de décimales pour la devise JPY : 0 au plus." in html.unescape(response.text)
