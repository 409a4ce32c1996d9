import dataclasses
from decimal import Decimal

from ardoise.core.document import Note
from ardoise.core.money import Adjustment, VatKey
from ardoise.pdf.context import (
    DESCRIPTION_PART_CHARACTERS,
    DESCRIPTION_PART_LINES,
    description_parts,
    document_metadata,
    invoice_context,
)
from ardoise.pdf.samples import LEGAL_MENTIONS, document_discount, sample_invoice


def with_line_adjustments(*adjustments: Adjustment, net_amount: str):
    line = sample_invoice(1).lines[0]  # 12.5 h at 65 € = 812.50 €
    allowances = tuple(a for a in adjustments if not a.is_charge)
    charges = tuple(a for a in adjustments if a.is_charge)
    changed = dataclasses.replace(line, allowances=allowances, charges=charges, net_amount=Decimal(net_amount))
    return sample_invoice(0, lines=(changed,))


def test_line_percentage_discount_shows_rate():
    doc = with_line_adjustments(Adjustment(percent=Decimal("10")), net_amount="731.25")

    assert invoice_context(doc)["lines"][0]["discount"] == "10\u202f%"


def test_line_amount_discount_shows_signed_amount():
    doc = with_line_adjustments(Adjustment(amount=Decimal("50")), net_amount="762.50")

    assert invoice_context(doc)["lines"][0]["discount"] == "-50,00\u00a0€"


def test_line_charge_shows_plus_sign():
    doc = with_line_adjustments(Adjustment(is_charge=True, amount=Decimal("15")), net_amount="827.50")

    assert invoice_context(doc)["lines"][0]["discount"] == "+15,00\u00a0€"


def test_line_adjustments_are_listed_with_reasons():
    doc = with_line_adjustments(
        Adjustment(amount=Decimal("3"), reason="Remise fidélité"),
        Adjustment(percent=Decimal("2"), reason="Escompte"),
        Adjustment(is_charge=True, amount=Decimal("0.53"), reason="Emballage"),
        net_amount="794.28",
    )

    line = invoice_context(doc)["lines"][0]

    assert line["discount"] == "-18,22\u00a0€"
    assert line["description"].endswith(
        "Remise fidélité : -3,00\u00a0€ ; Escompte 2\u202f% : -16,25\u00a0€ ; Emballage : +0,53\u00a0€"
    )


def test_single_percentage_discount_needs_no_note():
    doc = with_line_adjustments(Adjustment(percent=Decimal("10"), reason="Remise"), net_amount="731.25")

    assert "Remise" not in invoice_context(doc)["lines"][0]["description"]


def test_line_without_adjustment_has_empty_discount():
    assert invoice_context(sample_invoice(1))["lines"][0]["discount"] == ""


def test_unit_price_extra_decimals_and_base():
    line = dataclasses.replace(
        sample_invoice(1).lines[0],
        net_price=Decimal("0.0125"),
        base_quantity=Decimal("100"),
        quantity=Decimal("1000"),
        net_amount=Decimal("0.13"),
    )

    printed = invoice_context(sample_invoice(0, lines=(line,)))["lines"][0]

    assert printed["unit_price"] == "0,0125\u00a0€ / 100"
    assert printed["quantity"] == "1\u202f000"


def test_document_charge_is_added_in_totals():
    lines = sample_invoice(1).lines
    charge = Adjustment(is_charge=True, amount=Decimal("25"), reason="Frais de port", vat=VatKey("S", Decimal("20")))

    totals = invoice_context(sample_invoice(0, lines=lines, charges=(charge,)))["totals"]

    assert totals[:3] == [
        ["Total HT des lignes", "812,50\u00a0€"],
        ["Frais de port", "25,00\u00a0€"],
        ["Total HT", "837,50\u00a0€"],
    ]


def test_document_discount_split_by_rate_prints_one_row():
    lines = sample_invoice(5).lines
    doc = sample_invoice(0, lines=lines, allowances=document_discount(Decimal("10"), (Decimal("20"), Decimal("5.5"))))

    rows = invoice_context(doc)["totals"]

    assert [label for label, _ in rows].count("Remise globale (10\u202f%)") == 1


def test_foreign_currency_shows_vat_in_euros():
    doc = sample_invoice(1, currency="USD", vat_total_eur=Decimal("140.12"))

    totals = invoice_context(doc)["totals"]

    assert ["Total TVA", "162,50\u00a0USD"] in totals
    assert ["Total TVA en euros", "140,12\u00a0€"] in totals


def test_vat_in_euros_names_exchange_rate():
    doc = sample_invoice(1, currency="USD", vat_total_eur=Decimal("140.12"), exchange_rate=Decimal("0.862277"))

    totals = invoice_context(doc)["totals"]

    assert ["Total TVA en euros (1 USD = 0,862277 EUR)", "140,12\u00a0€"] in totals


def test_gross_price_prints_price_discount():
    line = dataclasses.replace(sample_invoice(1).lines[0], gross_price=Decimal("70"))

    printed = invoice_context(sample_invoice(0, lines=(line,)))["lines"][0]

    assert printed["description"].endswith("Prix brut 70,00\u00a0€, rabais 5,00\u00a0€")


def test_notes_skip_legal_mentions():
    doc = sample_invoice(1, notes=(Note(LEGAL_MENTIONS[1], "PMD"), Note("Livraison semaine 51", "AAI")))

    assert invoice_context(doc)["notes"] == ["Livraison semaine 51"]


def test_foreign_address_shows_country_name():
    buyer = sample_invoice(1).buyer
    abroad = dataclasses.replace(buyer, address=dataclasses.replace(buyer.address, country_code="de"))
    swiss = dataclasses.replace(buyer, address=dataclasses.replace(buyer.address, country_code="CH"))

    assert invoice_context(sample_invoice(1, buyer=abroad))["buyer"]["details"][3] == "Allemagne"
    assert invoice_context(sample_invoice(1, buyer=swiss))["buyer"]["details"][3] == "Suisse"


def test_unlisted_country_keeps_its_code():
    buyer = sample_invoice(1).buyer
    abroad = dataclasses.replace(buyer, address=dataclasses.replace(buyer.address, country_code="BR"))

    assert invoice_context(sample_invoice(1, buyer=abroad))["buyer"]["details"][3] == "BR"


def test_metadata_names_document_seller_and_customer():
    assert document_metadata(sample_invoice(1, type_code="381")) == {
        "title": "Avoir F-2026-0042",
        "author": "Atelier Dupont SARL",
        "subject": "Avoir F-2026-0042 du 04/12/2026, client : Boulangerie Martin SAS",
    }


def test_short_description_is_one_part():
    assert description_parts("Première étape\nDeuxième étape") == ["Première étape\nDeuxième étape"]
    assert description_parts("") == []


def test_description_parts_stay_under_both_limits():
    many_lines = "\n".join("- point %d" % number for number in range(1, 41))
    one_paragraph = " ".join("mot%d" % number for number in range(600))

    for text in (many_lines, one_paragraph, "x" * 2500):
        parts = description_parts(text)
        assert len(parts) > 1
        assert all(len(part) <= DESCRIPTION_PART_CHARACTERS for part in parts)
        assert all(part.count("\n") < DESCRIPTION_PART_LINES for part in parts)
        # Only the spaces and line breaks where a part ends are left out.
        assert "".join("".join(parts).split()) == "".join(text.split())


def test_long_description_continues_in_rows_of_its_own():
    line = dataclasses.replace(sample_invoice(1).lines[0], description="\n".join("étape %d" % n for n in range(40)))

    printed = invoice_context(sample_invoice(0, lines=(line,)))["lines"][0]

    assert printed["description"].startswith("étape 0\n")
    assert len(printed["continued"]) == 2
    assert printed["continued"][-1].endswith("étape 39")
