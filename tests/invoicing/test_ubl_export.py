"""UBL export of issued invoices: every reference invoice with lines, the command line, reading back."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from ardoise.einvoice import parse_invoice_file, validate_ubl
from ardoise.einvoice.validation import french_rules_apply
from ardoise.invoicing.importing import import_invoice_file
from ardoise.invoicing.models import Invoice, IssuedFile
from ardoise.invoicing.presentation import issued_document
from ardoise.invoicing.services import issue_invoice

REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "reference-invoices"
EN16931_SAMPLE = REFERENCE_DIR / "factur-x-samples" / "factur-x-en16931.xml"
pytestmark = pytest.mark.skipif(not EN16931_SAMPLE.exists(), reason="../shared/reference-invoices is missing")

# Rates typed to issue the reference invoices in foreign currencies: French
# rules want their VAT total in euros too (BT-111).
EXCHANGE_RATES = {"NOK": Decimal("0.0852"), "DKK": Decimal("0.134"), "SEK": Decimal("0.0876")}
# MINIMUM and BASIC WL carry no lines, so they cannot become a draft.
WITH_LINES = sorted(
    path for path in REFERENCE_DIR.glob("*/*.xml") if path.name not in {"factur-x-minimum.xml", "factur-x-basicwl.xml"}
)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def import_and_issue(path: Path, organisation) -> Invoice:
    """Import a reference file and issue it, completing the customer where the issue page requests it."""
    draft = import_invoice_file(path.read_bytes(), path.name, organisation=organisation)
    customer = draft.customer
    # Foreign buyers in the CEN examples have no SIREN, no e-mail and sometimes no address.
    customer.email = customer.email or "factures@client.example"
    customer.address_line1 = customer.address_line1 or "1 rue de l'Exemple"
    customer.city = customer.city or "Lyon"
    customer.postcode = customer.postcode or "69001"
    customer.save()
    if draft.currency != "EUR":
        draft.exchange_rate = EXCHANGE_RATES[draft.currency]
        draft.save(update_fields=["exchange_rate"])
    return issue_invoice(draft)


@pytest.mark.django_db
@pytest.mark.parametrize("path", WITH_LINES, ids=lambda path: path.name)
def test_issued_reference_invoice_exports_valid_ubl(path, organisation, tmp_path):
    invoice = import_and_issue(path, organisation)
    document = issued_document(invoice)

    xml = export_ubl(invoice.number, tmp_path / "facture-ubl.xml")

    # The French rules apply when the seller and the buyer are both in France.
    french = french_rules_apply(document)
    report = validate_ubl(xml, french_rules=french)
    assert report.errors == ()
    assert report.layers == (("xsd", "en16931", "br-fr") if french else ("xsd", "en16931"))
    from_ubl = parse_invoice_file(xml, "facture-ubl.xml")
    from_cii = parse_invoice_file(bytes(IssuedFile.objects.get(invoice=invoice).xml), "facture-ubl.xml")
    assert from_ubl.totals == from_cii.totals
    assert from_ubl.totals.as_bt_dict() == document.totals().as_bt_dict()


def export_ubl(number: str, output: Path) -> bytes:
    run("invoice", "export", number, "--format", "ubl", "--output", str(output))
    return output.read_bytes()


@pytest.mark.django_db
def test_ubl_export_gives_same_bytes_each_time(issued_invoice, tmp_path):
    first = export_ubl(issued_invoice.number, tmp_path / "first.xml")
    second = export_ubl(issued_invoice.number, tmp_path / "second.xml")

    assert first == second
    assert first.startswith(b"<?xml")
    assert b"<cbc:ID>%s</cbc:ID>" % issued_invoice.number.encode() in first


@pytest.mark.django_db
def test_exported_ubl_imports_as_draft_with_same_totals(issued_invoice, tmp_path):
    path = tmp_path / "facture-ubl.xml"
    export_ubl(issued_invoice.number, path)

    draft = Invoice.objects.get(pk=run("invoice", "import", str(path)))

    assert draft.is_draft
    assert draft.customer == issued_invoice.customer
    assert draft.total_without_vat == issued_invoice.total_without_vat
    assert draft.total_vat == issued_invoice.total_vat
    assert draft.total_with_vat == issued_invoice.total_with_vat
    assert draft.lines.count() == issued_invoice.lines.count()


@pytest.mark.django_db
def test_import_page_accepts_ubl(owner_client, issued_invoice):
    xml = owner_client.get(reverse("invoicing:ubl", args=[issued_invoice.pk])).content
    upload = SimpleUploadedFile("facture-ubl.xml", xml, content_type="application/xml")

    response = owner_client.post(reverse("invoicing:import"), {"file": upload}, follow=True)

    draft = Invoice.objects.exclude(pk=issued_invoice.pk).get()
    assert "Brouillon créé à partir de « facture-ubl.xml »" in response.content.decode()
    assert draft.is_draft
    assert draft.total_with_vat == issued_invoice.total_with_vat


@pytest.mark.django_db
def test_totals_command_reads_ubl(issued_invoice, tmp_path):
    path = tmp_path / "facture-ubl.xml"
    export_ubl(issued_invoice.number, path)

    result = json.loads(run("invoice", "totals", str(path), "--json"))

    assert result["number"] == issued_invoice.number
    assert result["totals"]["BT-109"] == str(issued_invoice.total_without_vat)
    assert result["totals"]["BT-110"] == str(issued_invoice.total_vat)
    assert result["totals"]["BT-112"] == str(issued_invoice.total_with_vat)
    assert result["differences_with_file"] == {}


def break_ubl_writer(monkeypatch) -> None:
    """Make the UBL writer drop the invoice number (BT-1), as a writer defect would."""
    from ardoise.einvoice import ubl
    from ardoise.invoicing import exports

    def broken(document):
        xml = ubl.build_ubl_xml(document)
        return xml.replace(b"<cbc:ID>%s</cbc:ID>" % document.number.encode(), b"", 1)

    monkeypatch.setattr(exports, "build_ubl_xml", broken)


@pytest.mark.django_db
def test_invalid_ubl_is_not_exported(issued_invoice, tmp_path, monkeypatch):
    break_ubl_writer(monkeypatch)
    output = tmp_path / "facture-ubl.xml"

    with pytest.raises(CommandError) as raised:
        export_ubl(issued_invoice.number, output)

    assert str(raised.value).startswith(
        "Le XML UBL de la facture F-2026-0001 ne respecte pas les règles de la facture électronique. "
        "Utilisez le PDF Factur-X ou le XML CII"
    )
    assert "\n  - " in str(raised.value)
    assert not output.exists()


@pytest.mark.django_db
def test_invalid_ubl_download_shows_message(owner_client, issued_invoice, monkeypatch):
    break_ubl_writer(monkeypatch)

    response = owner_client.get(reverse("invoicing:ubl", args=[issued_invoice.pk]), follow=True)

    assert response.redirect_chain[-1][0] == issued_invoice.get_absolute_url()
    assert "Le XML UBL de la facture F-2026-0001 ne respecte pas" in response.content.decode()
