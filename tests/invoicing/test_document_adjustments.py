"""Allowances and charges on the invoice total (EN 16931 BG-20, BG-21), typed in the draft editor."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from ardoise.accounts.models import VatRegime
from ardoise.customers.models import Customer
from ardoise.einvoice.parse import parse_invoice_file
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.invoicing.presentation import issued_document
from ardoise.invoicing.services import preview_document
from tests.invoicing.test_editor import editor_data, line_fields

EN16931_SAMPLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference-invoices"
    / "factur-x-samples"
    / "factur-x-en16931.xml"
)

NBSP = "\u00a0"
ONE_LINE = [line_fields(name="Conseil", quantity="1", unit="HUR", unit_price="100")]


def euros(text: str) -> str:
    return "%s%s€" % (text, NBSP)


def text_of(response) -> str:
    """Return the page as the user reads it: no tags, entities decoded, runs of spaces as one space."""
    visible = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(visible)).replace("\u202f", " ")


def row(kind="charge", reason="Frais de port", amount="", percent="", vat_rate="20.00", exemption="", **extra):
    return {
        "kind": kind,
        "reason": reason,
        "amount": amount,
        "percent": percent,
        "vat_rate": vat_rate,
        "exemption": exemption,
        "reason_code": "",
        **extra,
    }


def with_rows(data: dict, rows: list[dict], initial_forms: int = 0) -> dict:
    """Add the « Remises et frais sur le total » rows to the editor's POST data."""
    data = {
        **data,
        "adjustments-TOTAL_FORMS": str(len(rows)),
        "adjustments-INITIAL_FORMS": str(initial_forms),
        "adjustments-MIN_NUM_FORMS": "0",
        "adjustments-MAX_NUM_FORMS": "1000",
    }
    for index, fields in enumerate(rows):
        data.update({"adjustments-%d-%s" % (index, name): value for name, value in fields.items()})
    return data


# Re-creating the EN 16931 sample by hand


@pytest.fixture
def sample_buyer(organisation) -> Customer:
    """The sample's buyer « LE CLIENT », delivered in Nice: intra-EU charges need a delivery country (BR-IC-12)."""
    return Customer.objects.create(
        organisation=organisation,
        name="LE CLIENT",
        siren="987654321",
        vat_number="FR05987654321",
        email="buyer@buyer.com",
        phone="01 01 25 45 87",
        address_line1="MON ADRESSE LIGNE 1",
        address_line2="Buyer line 2",
        postcode="06000",
        city="MA VILLE",
        delivery_address_line1="DEL ADRESSE LIGNE 1",
        delivery_address_line2="DEL line 2",
        delivery_postcode="06000",
        delivery_city="NICE",
        delivery_country_code="FR",
    )


# Line nets of the sample: 60,00 € exempt (E), 28,00 € at 10 % and 7,00 € at 20 %.
SAMPLE_LINES = [
    line_fields(name="PRESTATION SUPPORT", unit_price="60,00", vat_rate="0.00", exemption="article_261"),
    line_fields(
        name="FOURNITURES PAPIER", quantity="2", unit="H87", unit_price="14,00", vat_rate="10.00", kind="goods"
    ),
    line_fields(name="APPEL", unit_price="7,00"),
]
# The sample's BG-20 and BG-21, one row each, with their VAT category and rate.
SAMPLE_ROWS = [
    row("allowance", "REMISE COMMERCIALE", "5,00"),
    row("allowance", "REMISE COMMERCIALE", "1,00"),
    row("allowance", "REMISE COMMERCIALE", "1,00"),
    row("allowance", "REMISE COMMERCIALE", "2,00", vat_rate="10.00"),
    row("charge", "FRAIS DEPLACEMENT", "10,00"),
    row("charge", "FRAIS DEPLACEMENT", "1,00"),
    # No line is intra-EU: this charge alone makes the K group (2,00 € at 0 %).
    row("charge", "FRAIS DEPLACEMENT", "2,00", vat_rate="0.00", exemption="intra_eu_goods"),
    row("charge", "FRAIS DEPLACEMENT", "1,00", vat_rate="10.00"),
]


@pytest.mark.skipif(not EN16931_SAMPLE.exists(), reason="../shared/reference-invoices is missing")
@pytest.mark.django_db
def test_en16931_sample_typed_by_hand_issues_with_its_totals(owner_client, sample_buyer):
    data = with_rows(editor_data(sample_buyer, SAMPLE_LINES, delivery_date="2026-01-31"), SAMPLE_ROWS)

    created = owner_client.post(reverse("invoicing:create"), data)
    invoice = Invoice.objects.get()
    issued = owner_client.post(reverse("invoicing:issue", args=[invoice.pk]))

    assert created.status_code == 302
    assert issued.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    expected = parse_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name).totals.as_bt_dict()
    assert expected["BT-109"] == Decimal("100.00")
    assert issued_document(invoice).totals().as_bt_dict() == expected
    emitted = parse_invoice_file(bytes(invoice.files.xml), "factur-x.xml")
    assert emitted.totals.as_bt_dict() == expected
    assert [(row.key.category, row.key.rate, row.taxable_amount) for row in emitted.totals.breakdown] == [
        ("S", Decimal("20"), Decimal("11.00")),
        ("S", Decimal("10"), Decimal("27.00")),
        ("E", Decimal("0"), Decimal("60.00")),
        ("K", Decimal("0"), Decimal("2.00")),
    ]


# Typing rows


@pytest.mark.django_db
def test_add_button_returns_empty_row_and_raises_row_count(owner_client):
    response = owner_client.get(reverse("invoicing:adjustment_add"), {"adjustments-TOTAL_FORMS": "2"})

    page = response.content.decode()
    assert 'name="adjustments-2-reason"' in page
    assert 'name="adjustments-2-DELETE"' in page
    assert 'id="id_adjustments-TOTAL_FORMS" hx-swap-oob="true"' in page
    assert 'value="3"' in page
    assert "<script" not in page


@pytest.mark.django_db
def test_saving_keeps_rows_and_drops_deleted_ones(owner_client, customer):
    rows = [
        row("charge", "Frais de dossier", "25", DELETE="on"),
        row("charge", "Frais de port", "12,50", vat_rate="5.50"),
        row("allowance", "Remise exceptionnelle", percent="10"),
    ]

    owner_client.post(reverse("invoicing:create"), with_rows(editor_data(customer, ONE_LINE), rows))

    invoice = Invoice.objects.get()
    assert [(raw["reason"], raw["amount"], raw["percent"]) for raw in invoice.document_adjustments] == [
        ("Frais de port", "12.50", None),
        ("Remise exceptionnelle", None, "10"),
    ]
    # 100,00 − 10 % of the 20 % lines + 12,50 at 5,5 %: 90,00 × 20 % + 12,50 × 5,5 % = 18,00 + 0,69.
    assert invoice.total_without_vat == Decimal("102.50")
    assert invoice.total_vat == Decimal("18.69")
    assert invoice.total_with_vat == Decimal("121.19")


@pytest.mark.django_db
def test_error_page_keeps_typed_rows(owner_client, customer):
    lines = [line_fields(name="Conseil", unit_price="abc")]
    rows = [row("charge", "Frais de port", "12,50"), row("allowance", "Remise exceptionnelle", "5")]

    response = owner_client.post(reverse("invoicing:create"), with_rows(editor_data(customer, lines), rows))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="adjustments-0-reason" value="Frais de port"' in page
    assert 'name="adjustments-0-amount" value="12,50"' in page
    assert 'name="adjustments-1-reason" value="Remise exceptionnelle"' in page
    assert '<option value="allowance" selected>' in page
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_charge_changes_live_totals(owner_client, customer):
    data = with_rows(editor_data(customer, ONE_LINE), [row("charge", "Frais de port", "15")])

    text = text_of(owner_client.post(reverse("invoicing:totals"), data))

    assert "Frais de port +%s" % euros("15,00") in text
    assert "Total HT %s" % euros("115,00") in text
    assert "Total TTC %s" % euros("138,00") in text


@pytest.mark.django_db
def test_charge_at_rate_without_lines_adds_vat_row(owner_client, customer):
    data = with_rows(editor_data(customer, ONE_LINE), [row("charge", "Frais de port", "10", vat_rate="5.50")])

    text = text_of(owner_client.post(reverse("invoicing:totals"), data))

    assert "TVA 5,5 %% sur %s %s" % (euros("10,00"), euros("0,55")) in text
    assert "Total TTC %s" % euros("130,55") in text


@pytest.mark.django_db
def test_bad_amount_is_named_in_french(owner_client, customer):
    data = with_rows(editor_data(customer, ONE_LINE), [row("charge", "Frais de port", "12,x")])

    response = owner_client.post(reverse("invoicing:create"), data)
    live = text_of(owner_client.post(reverse("invoicing:totals"), data))

    text = text_of(response)
    message = "« 12,x » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."
    assert response.status_code == 200
    assert message in text
    assert "Remises et frais, ligne 1 (Frais de port) : %s" % message in live
    assert "Total HT %s" % euros("100,00") in live
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_row_without_reason_is_refused_in_french(owner_client, customer):
    data = with_rows(editor_data(customer, ONE_LINE), [row("charge", "", "15")])

    response = owner_client.post(reverse("invoicing:create"), data)

    text = text_of(response)
    assert response.status_code == 200
    assert "Indiquez le motif, par exemple « Frais de port » : il est imprimé sur la facture." in text
    assert "Remises et frais, ligne 1 : Indiquez le motif" in text
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_row_needs_amount_or_percentage_not_both(owner_client, customer):
    rows = [row("charge", "Frais de port"), row("allowance", "Remise", "5", percent="10")]

    text = text_of(owner_client.post(reverse("invoicing:create"), with_rows(editor_data(customer, ONE_LINE), rows)))

    assert "Indiquez un montant HT supérieur à zéro, ou un pourcentage des lignes au même taux." in text
    assert "Indiquez un montant ou un pourcentage, pas les deux" in text
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_zero_rate_row_needs_exemption(owner_client, customer):
    data = with_rows(editor_data(customer, ONE_LINE), [row("charge", "Frais de port", "10", vat_rate="0.00")])

    text = text_of(owner_client.post(reverse("invoicing:create"), data))

    assert "Avec un taux de 0 %, indiquez le motif d'exonération" in text
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_zero_rate_charge_states_its_exemption(owner_client, customer):
    rows = [row("charge", "Frais de port", "10", vat_rate="0.00", exemption="export")]

    owner_client.post(reverse("invoicing:create"), with_rows(editor_data(customer, ONE_LINE), rows))

    invoice = Invoice.objects.get()
    assert invoice.document_adjustments[0]["vat_category"] == "G"
    document = preview_document(invoice)
    assert [(e.category, e.reason, e.reason_code) for e in document.vat_exemptions] == [
        ("G", "Exonération de TVA, article 262 I du CGI", "VATEX-EU-G")
    ]


@pytest.mark.django_db
def test_franchise_forces_row_to_art_293_b(owner_client, organisation, customer):
    organisation.vat_regime = VatRegime.FRANCHISE
    organisation.save()
    data = with_rows(editor_data(customer, ONE_LINE), [row("charge", "Frais de port", "10", vat_rate="20.00")])

    owner_client.post(reverse("invoicing:create"), data)

    raw = Invoice.objects.get().document_adjustments[0]
    assert (raw["vat_category"], raw["vat_rate"], raw["exemption"]) == ("E", "0", "franchise")
    assert Invoice.objects.get().total_with_vat == Decimal("110.00")


@pytest.mark.django_db
def test_page_posted_without_rows_keeps_stored_ones(owner_client, draft_invoice):
    draft_invoice.document_adjustments = [
        {"is_charge": True, "amount": "10", "reason": "Frais de port", "vat_category": "S", "vat_rate": "20"}
    ]
    draft_invoice.save()
    lines = list(draft_invoice.lines.all())
    posted = [
        line_fields(id=str(line.pk), name=line.name, quantity=str(line.quantity), unit_price=str(line.unit_price))
        for line in lines
    ]

    owner_client.post(
        reverse("invoicing:edit", args=[draft_invoice.pk]),
        editor_data(draft_invoice.customer, posted, initial_forms=len(lines)),
    )

    draft_invoice.refresh_from_db()
    assert [raw["reason"] for raw in draft_invoice.document_adjustments] == ["Frais de port"]


# After issuing


@pytest.mark.django_db
def test_detail_shows_rows_in_totals(owner_client, customer):
    data = with_rows(editor_data(customer, ONE_LINE), [row("charge", "Frais de port", "15")])
    owner_client.post(reverse("invoicing:create"), data)
    invoice = Invoice.objects.get()

    before = text_of(owner_client.get(reverse("invoicing:detail", args=[invoice.pk])))
    owner_client.post(reverse("invoicing:issue", args=[invoice.pk]))
    after = text_of(owner_client.get(reverse("invoicing:detail", args=[invoice.pk])))

    assert "Frais de port +%s" % euros("15,00") in before
    assert "Frais de port +%s" % euros("15,00") in after
    assert "Total TTC %s" % euros("138,00") in after


@pytest.mark.django_db
def test_issued_invoice_rows_cannot_be_changed(owner_client, issued_invoice):
    before = (issued_invoice.document_adjustments, issued_invoice.total_with_vat)
    data = with_rows(editor_data(issued_invoice.customer, ONE_LINE), [row("charge", "Frais de port", "15")])

    response = owner_client.post(reverse("invoicing:edit", args=[issued_invoice.pk]), data)

    issued_invoice.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == issued_invoice.get_absolute_url()
    assert (issued_invoice.document_adjustments, issued_invoice.total_with_vat) == before
    assert "ne peut plus être modifiée" in text_of(owner_client.get(response["Location"]))
