"""The editor's advanced line terms: allowances and charges per line, gross price, base quantity, overseas rates."""

from __future__ import annotations

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import etree

from ardoise.einvoice.validation import validate_cii
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.services import issue_invoice
from tests.invoicing.test_editor import editor_data, line_fields

DAY = datetime.date(2026, 12, 4)
RAM = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def with_rows(line: dict[str, str], *rows: dict[str, str]) -> dict[str, str]:
    """Add allowance or charge rows to a line's fields, then one blank row as the editor shows."""
    fields = dict(line, adjustment_rows=str(len(rows) + 1))
    blank = {"kind": "allowance", "reason_code": "", "reason": "", "amount": "", "percent": ""}
    for index, row in enumerate([*rows, blank]):
        for name, value in {**blank, **row}.items():
            fields["adjustment-%d-%s" % (index, name)] = value
    return fields


def post_draft(client, customer, lines):
    return client.post(reverse("invoicing:create"), editor_data(customer, lines))


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_line_allowance_and_charge_are_saved(owner_client, customer):
    line = with_rows(
        line_fields(name="Conseil", quantity="4", unit_price="250"),
        {"kind": "allowance", "reason_code": "95", "percent": "10"},
        {"kind": "charge", "reason_code": "FC", "reason": "Déplacement à Lyon", "amount": "45"},
    )

    response = post_draft(owner_client, customer, [line])

    invoice = Invoice.objects.get()
    saved = invoice.lines.get()
    assert response.status_code == 302
    assert [(a["reason"], a["reason_code"], a["percent"], a["amount"]) for a in saved.extra_adjustments] == [
        ("Remise", "95", "10", None),
        ("Déplacement à Lyon", "FC", None, "45"),
    ]
    # 4 x 250 = 1000, minus 10 % = 900, plus 45 = 945; VAT 20 % = 189.
    assert invoice.total_without_vat == Decimal("945.00")
    assert invoice.total_with_vat == Decimal("1134.00")


@pytest.mark.django_db
def test_line_terms_issue_valid_xml(owner_client, customer):
    line = with_rows(
        line_fields(name="Papier", quantity="2500", unit_price="", gross_price="12", price_discount="1,5"),
        {"kind": "allowance", "reason_code": "100", "amount": "3,00"},
        {"kind": "charge", "reason_code": "PC", "percent": "2"},
    )
    line["base_quantity"] = "1000"
    post_draft(owner_client, customer, [line])

    invoice = issue_invoice(Invoice.objects.get(), today=DAY)

    xml = bytes(invoice.files.xml)
    root = etree.fromstring(xml)
    item = root.find(".//ram:IncludedSupplyChainTradeLineItem", RAM)
    # 2500 x (12 - 1.5) / 1000 = 26.25; minus 3.00; plus 2 % of 26.25 = 0.53: 23.78.
    assert item.findtext(".//ram:GrossPriceProductTradePrice/ram:ChargeAmount", namespaces=RAM) == "12.00"
    assert item.findtext(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", namespaces=RAM) == "10.50"
    assert item.findtext(".//ram:NetPriceProductTradePrice/ram:BasisQuantity", namespaces=RAM) == "1000"
    assert item.findtext(".//ram:LineTotalAmount", namespaces=RAM) == "23.78"
    assert validate_cii(xml).errors == ()


@pytest.mark.django_db
def test_bad_line_row_is_named_in_french(owner_client, customer):
    line = with_rows(
        line_fields(name="Conseil", unit_price="100"), {"kind": "allowance", "reason": "Fidélité", "amount": "dix"}
    )

    response = post_draft(owner_client, customer, [line])

    assert response.status_code == 200
    assert Invoice.objects.count() == 0
    assert "Remise ou frais n° 1 de la ligne, Montant HT : « dix » n'est pas un nombre valide" in page_text(response)


@pytest.mark.django_db
def test_line_row_code_must_match_kind(owner_client, customer):
    line = with_rows(
        line_fields(name="Conseil", unit_price="100"), {"kind": "allowance", "reason_code": "FC", "amount": "5"}
    )

    response = post_draft(owner_client, customer, [line])

    assert Invoice.objects.count() == 0
    assert "Le code « FC » est un code de frais" in page_text(response)


@pytest.mark.django_db
def test_line_row_needs_amount_or_percent(owner_client, customer):
    line = with_rows(line_fields(name="Conseil", unit_price="100"), {"kind": "charge", "reason": "Port"})

    response = post_draft(owner_client, customer, [line])

    assert Invoice.objects.count() == 0
    assert "Indiquez un montant HT supérieur à zéro, ou un pourcentage de la ligne." in page_text(response)


@pytest.mark.django_db
def test_discount_without_gross_price_is_rejected(owner_client, customer):
    line = line_fields(name="Conseil", unit_price="100", price_discount="5")

    response = post_draft(owner_client, customer, [line])

    assert Invoice.objects.count() == 0
    assert "Indiquez le prix brut HT auquel s'applique le rabais de 5." in page_text(response)


@pytest.mark.django_db
def test_gross_price_below_net_is_rejected(owner_client, customer):
    line = line_fields(name="Conseil", unit_price="100", gross_price="90")

    response = post_draft(owner_client, customer, [line])

    assert Invoice.objects.count() == 0
    assert "Le prix brut HT (90) est inférieur au prix unitaire HT (100)" in page_text(response)


@pytest.mark.django_db
def test_zero_base_quantity_is_rejected(owner_client, customer):
    line = line_fields(name="Conseil", unit_price="100", base_quantity="0")

    response = post_draft(owner_client, customer, [line])

    assert Invoice.objects.count() == 0
    assert "La quantité de base doit être supérieure à zéro (0 saisi)" in page_text(response)


@pytest.mark.django_db
def test_six_decimal_price_and_overseas_rate(owner_client, customer):
    line = line_fields(name="Impression", quantity="12 000", unit_price="0,012345", vat_rate="8.50")

    post_draft(owner_client, customer, [line])

    invoice = Invoice.objects.get()
    # 12000 x 0.012345 = 148.14; 8.5 % = 12.5919.
    assert invoice.lines.get().unit_price == Decimal("0.012345")
    assert invoice.total_without_vat == Decimal("148.14")
    assert invoice.total_vat == Decimal("12.59")
    assert validate_cii(bytes(issue_invoice(invoice, today=DAY).files.xml)).errors == ()


@pytest.mark.django_db
def test_editor_offers_overseas_and_corsican_rates(owner_client):
    page = page_text(owner_client.get(reverse("invoicing:create")))

    for label in ("8,5 % (outre-mer)", "1,75 % (outre-mer)", "1,05 % (outre-mer)", "13 % (Corse)", "0,9 % (Corse)"):
        assert label in page


@pytest.mark.django_db
def test_removing_every_row_clears_line_terms(owner_client, customer):
    line = with_rows(
        line_fields(name="Conseil", unit_price="100"), {"kind": "charge", "reason_code": "FC", "amount": "5"}
    )
    post_draft(owner_client, customer, [line])
    invoice = Invoice.objects.get()
    saved = invoice.lines.get()
    cleared = with_rows(line_fields(id=str(saved.pk), name="Conseil", unit_price="100"))

    owner_client.post(
        reverse("invoicing:edit", args=[invoice.pk]),
        editor_data(customer, [cleared], initial_forms=1, draft=str(invoice.pk)),
    )

    saved.refresh_from_db()
    assert saved.extra_adjustments == []


@pytest.mark.django_db
def test_imported_foreign_rate_stays_editable(owner_client, organisation):
    from ardoise.invoicing.importing import import_invoice_file
    from tests.acceptance.test_reference_invoices import REFERENCE_DIR

    path = REFERENCE_DIR / "cen-cii-examples" / "CII_example4.xml"
    invoice = import_invoice_file(path.read_bytes(), path.name, organisation=organisation)

    page = owner_client.get(reverse("invoicing:edit", args=[invoice.pk])).content.decode()

    assert '<option value="25.00" selected>25 %</option>' in page
    assert '<option value="12.00" selected>12 %</option>' in page


@pytest.mark.django_db
def test_imported_foreign_rate_can_be_saved(owner_client, organisation):
    from ardoise.invoicing.importing import import_invoice_file
    from tests.acceptance.test_reference_invoices import REFERENCE_DIR
    from tests.invoicing.test_imported_draft import editor_data as saved_draft_data

    path = REFERENCE_DIR / "cen-cii-examples" / "CII_example4.xml"
    invoice = import_invoice_file(path.read_bytes(), path.name, organisation=organisation)
    total = invoice.total_with_vat

    response = owner_client.post(reverse("invoicing:edit", args=[invoice.pk]), saved_draft_data(invoice))

    invoice.refresh_from_db()
    assert response.status_code == 302
    assert sorted({line.vat_rate for line in invoice.lines.all()}) == [Decimal("12.00"), Decimal("25.00")]
    assert invoice.total_with_vat == total


@pytest.mark.django_db
def test_prepaid_and_rounding_reach_amount_due(owner_client, customer):
    lines = [line_fields(name="Conseil", unit_price="99,99")]
    data = editor_data(customer, lines, prepaid_amount="50", rounding_amount="0,01")

    post_draft_data = owner_client.post(reverse("invoicing:create"), data)

    invoice = Invoice.objects.get()
    # 99.99 + 20 % = 119.99; minus 50 paid, plus 0.01 of rounding: 70.00 due.
    assert post_draft_data.status_code == 302
    assert invoice.total_with_vat == Decimal("119.99")
    assert invoice.amount_due == Decimal("70.00")
    assert validate_cii(bytes(issue_invoice(invoice, today=DAY).files.xml)).errors == ()


@pytest.mark.django_db
def test_bad_prepaid_amount_is_named(owner_client, customer):
    lines = [line_fields(name="Conseil", unit_price="100")]

    response = owner_client.post(reverse("invoicing:create"), editor_data(customer, lines, prepaid_amount="cinquante"))

    assert Invoice.objects.count() == 0
    assert "« cinquante » n'est pas un nombre valide" in page_text(response)


@pytest.mark.django_db
def test_blank_rows_show_no_error_after_another_error(owner_client, customer):
    line = with_rows(line_fields(name="Conseil", unit_price="cent"))

    response = post_draft(owner_client, customer, [line])

    text = page_text(response)
    assert "« cent » n'est pas un nombre valide" in text
    assert "Indiquez le motif" not in text
    assert "Indiquez un montant HT supérieur à zéro" not in text


@pytest.mark.django_db
def test_exemption_choices_all_have_labels(organisation):
    from ardoise.invoicing.forms import exemption_choices

    choices = exemption_choices(organisation)

    assert [key for key, label in choices if not str(label).strip()] == []
    assert ("zero_rated", "Taux zéro (sans motif d'exonération)") in [(k, str(v)) for k, v in choices]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["1e2", "NaN", "1,2,3"])
def test_line_quantity_rejects_non_decimal_text(owner_client, customer, typed):
    response = post_draft(owner_client, customer, [line_fields(name="Conseil", quantity=typed, unit_price="100")])

    assert Invoice.objects.count() == 0
    assert "« %s » n'est pas un nombre valide" % typed in page_text(response)
