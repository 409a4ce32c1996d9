"""A draft imported from a Factur-X file, in the editor and on its page.

The editor cannot change a line's base quantity, its imported allowances and
charges, or the imported exemption reason, so it shows them read-only, counts
them in the live totals and keeps them on save. The allowances and charges on
the total are editable rows, like those typed in Ardoise.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from ardoise.catalogue.models import Product
from ardoise.invoicing.importing import import_invoice_file
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import preview_document

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "reference-invoices" / "factur-x-samples"
EN16931_SAMPLE = SAMPLE / "factur-x-en16931.xml"
pytestmark = pytest.mark.skipif(not EN16931_SAMPLE.exists(), reason="../shared/reference-invoices is missing")

NBSP = "\u00a0"


def euros(text: str) -> str:
    return "%s%s€" % (text, NBSP)


@pytest.fixture
def imported(organisation) -> Invoice:
    """The EN 16931 sample as a draft: 3 lines (the second priced per 3 units), 104,90 € TTC.

    Line 1 « PRESTATION SUPPORT »: 60,00 €, exempt (« DEBOURS »), four 1,00 € allowances and four
    1,00 € charges. Line 2 « FOURNITURES PAPIER »: 3 units at 30,00 € per 3 units, 5,00 € of
    allowances and 3,00 € of charges, so 28,00 €. Line 3 « APPEL »: 7,00 €. Document level:
    9,00 € of allowances (« REMISE COMMERCIALE ») and 14,00 € of charges (« FRAIS DEPLACEMENT »).
    """
    return import_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name, organisation=organisation)


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.order_by("position"))


def adjustment_rows(invoice: Invoice, delete: bool = False) -> dict[str, str]:
    """Post the « Remises et frais sur le total » rows as the editor shows them, ticked « Supprimer » if ``delete``."""
    data = {
        "adjustments-TOTAL_FORMS": str(len(invoice.document_adjustments)),
        "adjustments-INITIAL_FORMS": str(len(invoice.document_adjustments)),
        "adjustments-MIN_NUM_FORMS": "0",
        "adjustments-MAX_NUM_FORMS": "1000",
    }
    for index, raw in enumerate(invoice.document_adjustments):
        fields = {
            "kind": "charge" if raw["is_charge"] else "allowance",
            "reason": raw["reason"],
            "amount": raw["amount"].replace(".", ","),
            "percent": "",
            "vat_rate": "%.2f" % Decimal(raw["vat_rate"]),
            "exemption": "intra_eu_goods" if raw["vat_category"] == "K" else "",
            "reason_code": raw["reason_code"],
            **({"DELETE": "on"} if delete else {}),
        }
        data.update({"adjustments-%d-%s" % (index, name): value for name, value in fields.items()})
    return data


def editor_data(
    invoice: Invoice, changes: dict[int, dict[str, str]] | None = None, delete_adjustments: bool = False, **header: str
) -> dict[str, str]:
    """Post the editor as the browser does for the saved draft, with ``changes`` per line index."""
    lines = lines_of(invoice)
    data = {
        "draft": str(invoice.pk),
        "customer": str(invoice.customer_id),
        "delivery_date": "",
        "payment_terms_days": "",
        "purchase_order": invoice.purchase_order,
        "notes": invoice.notes,
        "discount_kind": "percent",
        "discount_value": "0",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **adjustment_rows(invoice, delete_adjustments),
        **header,
    }
    for index, line in enumerate(lines):
        fields = {
            "id": str(line.pk),
            "product": "",
            "name": line.name,
            "description": line.description,
            "quantity": str(line.quantity),
            "unit": line.unit,
            "unit_price": str(line.unit_price),
            "vat_rate": str(line.vat_rate),
            "exemption": line.exemption,
            "discount_percent": "0",
            "kind": "service" if line.is_service else "goods",
            **(changes or {}).get(index, {}),
        }
        data.update({"lines-%d-%s" % (index, name): value for name, value in fields.items()})
    return data


def text_of(response) -> str:
    """Return the page as the user reads it: no tags, entities decoded, runs of plain spaces as one space."""
    visible = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(visible)).replace("\u202f", " ")


# The editor page


@pytest.mark.django_db
def test_editor_shows_imported_line_terms(owner_client, imported):
    response = owner_client.get(reverse("invoicing:edit", args=[imported.pk]))

    page = response.content.decode()
    assert 'name="lines-1-base_quantity" value="3"' in page
    assert 'name="lines-1-adjustment-0-reason" value="REMISE VOLUME"' in page
    assert 'name="lines-1-adjustment-0-amount" value="2,00"' in page
    assert 'name="lines-0-adjustment-4-reason" value="FRAIS PALETTE"' in page
    assert "Motif d'exonération imprimé : « DEBOURS »" in text_of(response)


@pytest.mark.django_db
def test_editor_shows_imported_adjustments_as_editable_rows(owner_client, imported):
    response = owner_client.get(reverse("invoicing:edit", args=[imported.pk]))

    page = response.content.decode()
    text = text_of(response)
    assert 'name="adjustments-TOTAL_FORMS" value="8"' in page
    assert 'name="adjustments-0-reason" value="REMISE COMMERCIALE"' in page
    assert 'name="adjustments-0-amount" value="5,00"' in page
    assert 'name="adjustments-6-reason" value="FRAIS DEPLACEMENT"' in page
    assert '<option value="intra_eu_goods" selected>' in page
    assert "REMISE COMMERCIALE -%s" % euros("9,00") in text
    assert "FRAIS DEPLACEMENT +%s" % euros("14,00") in text
    assert "· importé" not in text


# Live totals


@pytest.mark.django_db
def test_live_totals_keep_line_terms(owner_client, imported):
    data = editor_data(imported, {1: {"quantity": "4"}})

    response = owner_client.post(reverse("invoicing:totals"), data)

    text = text_of(response)
    # 4 × 30,00 € per 3 units = 40,00 €, minus 5,00 € of allowances, plus 3,00 € of charges.
    assert '<output id="lines-1-amount" class="amount" hx-swap-oob="true">%s</output>' % euros("38,00") in (
        response.content.decode()
    )
    assert "Frais sur les lignes" in text
    assert "FRAIS DEPLACEMENT" in text
    assert euros("104,90") not in text


@pytest.mark.django_db
def test_live_totals_match_file(owner_client, imported):
    text = text_of(owner_client.post(reverse("invoicing:totals"), editor_data(imported)))

    assert "TVA 0 % · DEBOURS" in text
    assert "article 261" not in text
    assert euros("104,90") in text


@pytest.mark.django_db
def test_live_totals_without_imported_adjustments(owner_client, imported):
    data = editor_data(imported, delete_adjustments=True)

    text = text_of(owner_client.post(reverse("invoicing:totals"), data))

    # 95,00 € of lines: 60,00 € exempt, 28,00 € at 10 % and 7,00 € at 20 %, so 4,20 € of VAT.
    assert "REMISE COMMERCIALE" not in text
    assert "FRAIS DEPLACEMENT" not in text
    assert "Total HT %s" % euros("95,00") in text
    assert "Total TTC %s" % euros("99,20") in text


# Saving


@pytest.mark.django_db
def test_saving_keeps_hidden_terms(owner_client, imported):
    before = lines_of(imported)

    response = owner_client.post(reverse("invoicing:edit", args=[imported.pk]), editor_data(imported))

    imported.refresh_from_db()
    after = lines_of(imported)
    assert response.status_code == 302
    assert after[1].base_quantity == Decimal("3.0000")
    assert [line.extra_adjustments for line in after] == [line.extra_adjustments for line in before]
    assert after[0].exemption_text == "DEBOURS"
    assert len(imported.document_adjustments) == 8
    assert [raw["reason_code"] for raw in imported.document_adjustments] == [
        "95",
        "100",
        "100",
        "",
        "FC",
        "ADR",
        "FC",
        "FC",
    ]
    assert imported.total_with_vat == Decimal("104.90")


@pytest.mark.django_db
def test_saved_quantity_matches_live_total(owner_client, imported):
    owner_client.post(reverse("invoicing:edit", args=[imported.pk]), editor_data(imported, {1: {"quantity": "4"}}))

    imported.refresh_from_db()
    # The second line goes from 28,00 € to 38,00 € at 10 %: 10,00 € more, 1,00 € more VAT.
    assert imported.total_with_vat == Decimal("115.90")


@pytest.mark.django_db
def test_deleting_rows_drops_imported_adjustments(owner_client, imported):
    data = editor_data(imported, delete_adjustments=True)

    owner_client.post(reverse("invoicing:edit", args=[imported.pk]), data)

    imported.refresh_from_db()
    document = preview_document(imported)
    assert imported.document_adjustments == []
    assert imported.total_with_vat == Decimal("99.20")
    # The « LIVRAISON INTRACOMMUNAUTAIRE » reason belonged to an imported charge at 0 % (K).
    assert [exemption.reason for exemption in document.vat_exemptions] == ["DEBOURS"]
    assert "LIVRAISON INTRACOMMUNAUTAIRE" not in document.legal_mentions


@pytest.mark.django_db
def test_new_exemption_replaces_imported_reason(owner_client, imported):
    owner_client.post(
        reverse("invoicing:edit", args=[imported.pk]), editor_data(imported, {0: {"exemption": "outside_scope"}})
    )

    line = lines_of(imported)[0]
    assert line.vat_category == "O"
    assert line.exemption_text == "Opération non soumise à la TVA"


@pytest.mark.django_db
def test_catalogue_product_drops_line_terms(owner_client, organisation, imported):
    product = Product.objects.create(organisation=organisation, name="Ramette", unit_price=Decimal("5.0000"))
    changes = {"product": str(product.pk), "name": "Ramette", "unit_price": "5"}

    owner_client.post(reverse("invoicing:edit", args=[imported.pk]), editor_data(imported, {1: changes}))

    line = lines_of(imported)[1]
    assert line.base_quantity == Decimal("1.0000")
    assert line.extra_adjustments == []


# The detail page


@pytest.mark.django_db
def test_detail_shows_imported_line_terms(owner_client, imported):
    text = text_of(owner_client.get(reverse("invoicing:detail", args=[imported.pk])))

    assert "Prix pour 3 unités" in text
    assert "%s / 3" % euros("30,00") in text
    assert "FRAIS PALETTE +%s" % euros("1,00") in text
    assert "Frais sur les lignes" in text
    # The first line's allowances are amounts (on a base of 100,00 €), not a 1 % discount.
    assert "1 %" not in text
