"""« Remises et frais sur le total » on quotes: editor, live totals, PDF snapshot, copies and JSON descriptions."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from ardoise.core.formats import format_amount
from ardoise.quotes.documents import issued_quote_document
from ardoise.quotes.models import Quote, QuoteLine
from ardoise.quotes.services import duplicate, issue, save_draft

from .conftest import ISSUE_DAY
from .test_pages import editor_data, line_fields

pytestmark = pytest.mark.django_db

D = Decimal

TRANSPORT = {
    "is_charge": True,
    "amount": "45.00",
    "percent": None,
    "base": None,
    "reason": "Frais de déplacement",
    "reason_code": "",
    "vat_category": "S",
    "vat_rate": "20.00",
    "exemption": "",
}


def adjustment_fields(rows):
    data = {
        "adjustments-TOTAL_FORMS": str(len(rows)),
        "adjustments-INITIAL_FORMS": "0",
        "adjustments-MIN_NUM_FORMS": "0",
        "adjustments-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(rows):
        values = {"kind": "charge", "reason": "", "amount": "", "percent": "", "vat_rate": "20.00", "exemption": ""}
        values.update(row)
        for name, value in values.items():
            data["adjustments-%d-%s" % (index, name)] = value
    return data


@pytest.fixture
def adjusted_draft(organisation, customer) -> Quote:
    """A draft whose line has a base quantity and a charge the editor does not show, with a charge on the total."""
    quote = Quote(organisation=organisation, customer=customer, document_adjustments=[TRANSPORT])
    line = QuoteLine(
        name="Impression",
        quantity=D("250"),
        unit_price=D("12.00"),
        base_quantity=D("100"),
        vat_rate=D("20"),
        extra_adjustments=[{**TRANSPORT, "reason": "Calage", "amount": "8.00"}],
    )
    return save_draft(quote, [line])


def test_editor_saves_adjustment_rows(owner_client, customer):
    lines = [line_fields(name="Conseil", quantity="2", unit="HUR", unit_price="100")]
    rows = [
        {"kind": "charge", "reason": "Frais de déplacement", "amount": "45"},
        {"kind": "allowance", "reason": "Remise exceptionnelle", "percent": "10"},
    ]
    data = editor_data(customer, lines) | adjustment_fields(rows)

    response = owner_client.post(reverse("quotes:create"), data)

    quote = Quote.objects.get()
    assert response.status_code == 302
    assert [raw["reason"] for raw in quote.document_adjustments] == ["Frais de déplacement", "Remise exceptionnelle"]
    # 200 + 45 − 20 = 225 HT, VAT 45.
    assert quote.total_without_vat == D("225.00")
    assert quote.total_with_vat == D("270.00")


def test_editor_reports_bad_adjustment_row(owner_client, customer):
    lines = [line_fields(name="Conseil", unit_price="100")]
    data = editor_data(customer, lines) | adjustment_fields([{"reason": "Frais de port", "amount": "12,x"}])

    response = owner_client.post(reverse("quotes:create"), data)

    assert response.status_code == 200
    assert "Le brouillon n'a pas été enregistré" in response.text
    assert "Remises et frais, ligne 1 (Frais de port)" in response.text
    assert not Quote.objects.exists()


def test_editor_shows_saved_totals(owner_client, adjusted_draft):
    response = owner_client.get(reverse("quotes:edit", args=[adjusted_draft.pk]))

    assert response.status_code == 200
    assert "Frais de déplacement" in response.text
    assert format_amount(adjusted_draft.total_with_vat, "EUR") in response.text


def test_live_totals_match_saved_totals(owner_client, adjusted_draft, customer):
    line = adjusted_draft.lines.get()
    # The page posts the visible fields only: no base quantity, no line charge, no rows on the total.
    posted = line_fields(id=str(line.pk), name=line.name, quantity="250", unit_price="12", vat_rate="20.00")
    data = editor_data(customer, [posted], draft=str(adjusted_draft.pk))
    data["lines-INITIAL_FORMS"] = "1"

    response = owner_client.post(reverse("quotes:totals"), data)

    # 250 / 100 × 12 + 8 + 45 = 83 HT, 99.60 TTC.
    assert adjusted_draft.total_with_vat == D("99.60")
    assert response.status_code == 200
    assert format_amount(D("99.60"), "EUR") in response.text


def test_live_totals_count_typed_rows(owner_client, customer):
    lines = [line_fields(name="Conseil", quantity="2", unit_price="100")]
    data = editor_data(customer, lines) | adjustment_fields([{"reason": "Frais de dossier", "amount": "50"}])

    response = owner_client.post(reverse("quotes:totals"), data)

    assert response.status_code == 200
    assert "Frais de dossier" in response.text
    assert format_amount(D("300.00"), "EUR") in response.text


def test_issued_snapshot_has_adjustments(organisation, customer):
    zero_rated = {
        **TRANSPORT,
        "reason": "Frais de timbre",
        "amount": "30.00",
        "vat_category": "E",
        "vat_rate": "0.00",
        "exemption": "disbursement",
    }
    quote = Quote(organisation=organisation, customer=customer, document_adjustments=[TRANSPORT, zero_rated])
    quote = save_draft(quote, [QuoteLine(name="Conseil", unit_price=D("100"), vat_rate=D("20"))])

    quote = issue(quote, today=ISSUE_DAY)

    body = issued_quote_document(quote).body
    assert [charge.reason for charge in body.charges] == ["Frais de déplacement", "Frais de timbre"]
    assert body.totals().tax_inclusive == quote.total_with_vat == D("204.00")
    assert "Débours, article 267 II 2° du CGI" in body.legal_mentions


def test_copy_keeps_adjustments(adjusted_draft):
    copy = duplicate(adjusted_draft)

    assert copy.document_adjustments == [TRANSPORT]
    assert copy.total_with_vat == adjusted_draft.total_with_vat


# ``ardoise quote create`` with "adjustments"


def create(tmp_path, description):
    path = tmp_path / "devis.json"
    path.write_text(json.dumps(description, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("quote", "create", str(path), stdout=out, stderr=StringIO())
    return Quote.objects.get(pk=int(out.getvalue().strip()))


def description(customer, adjustments):
    return {
        "customer": {"siren": customer.siren},
        "lines": [{"name": "Conseil", "quantity": 2, "unit_price": "100"}],
        "adjustments": adjustments,
    }


def test_cli_reads_adjustments(tmp_path, customer):
    adjustments = [
        {"kind": "charge", "reason": "Frais de déplacement", "amount": "45"},
        {"kind": "allowance", "reason": "Remise exceptionnelle", "percent": 10, "vat_rate": 20},
        {"kind": "charge", "reason": "Frais de timbre", "amount": 30, "vat_rate": 0, "exemption": "disbursement"},
    ]

    quote = create(tmp_path, description(customer, adjustments))

    stored = quote.document_adjustments
    assert [raw["reason"] for raw in stored] == ["Frais de déplacement", "Remise exceptionnelle", "Frais de timbre"]
    assert stored[0]["amount"] == "45.00"
    assert stored[1]["percent"] == "10"
    assert (stored[2]["vat_category"], stored[2]["exemption"]) == ("E", "disbursement")
    # 200 + 45 − 20 = 225 HT at 20 %, plus 30 at 0 %.
    assert quote.total_without_vat == D("255.00")
    assert quote.total_with_vat == D("300.00")


@pytest.mark.parametrize(
    ("adjustments", "message"),
    [
        ({"kind": "charge"}, "adjustments : indiquez une liste"),
        ([{"kind": "fee", "reason": "Port", "amount": 5}], "adjustments n° 1, kind : « fee » doit valoir"),
        ([{"kind": "charge", "amount": 5}], "adjustments n° 1 : le motif (reason) est manquant"),
        ([{"kind": "charge", "reason": "Port"}], "adjustments n° 1 : indiquez soit un montant HT"),
        ([{"kind": "charge", "reason": "Port", "amount": 5, "percent": 2}], "indiquez soit un montant HT"),
        ([{"kind": "charge", "reason": "Port", "amount": "abc"}], "adjustments n° 1, amount : « abc »"),
        ([{"kind": "charge", "reason": "Port", "amount": 5, "vat_rate": 19}], "19 n'est pas un taux de TVA"),
        ([{"kind": "charge", "reason": "Port", "amount": 5, "vat_rate": 0}], "indiquez le motif d'exonération"),
        ([{"kind": "charge", "reason": "Port", "amount": 5, "tva": 20}], "champ inconnu « tva »"),
    ],
    ids=["not-a-list", "kind", "reason", "no-amount", "both", "amount", "rate", "exemption", "unknown-key"],
)
def test_cli_rejects_bad_adjustments(tmp_path, customer, adjustments, message):
    with pytest.raises(CommandError) as raised:
        create(tmp_path, description(customer, adjustments))

    assert message in str(raised.value)
    assert not Quote.objects.exists()
