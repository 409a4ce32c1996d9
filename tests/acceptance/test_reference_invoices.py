"""Acceptance on real input: every reference invoice, rebuilt by the engine, then imported, issued and exported.

The reference invoices were written by others (Factur-X samples with French
parties, and the CEN examples of EN 16931 with foreign parties). For each:

- the engine, rebuilding the invoice from its lines, allowances, charges and
  VAT data, reaches every total written in the file, to the cent;
- ``ardoise invoice import``, ``issue`` and ``export`` produce a CII XML that
  passes the EN 16931 rules, and the French BR-FR rules when the file's seller
  and buyer are both French.

Importing makes the test organisation the seller: it is a French business
issuing the invoice, so its own profile (SIREN, VAT number, IBAN) fills the
seller data that the French rules require, whatever the file's seller was.
"""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.einvoice.parse import document_from_parsed, parse_invoice_file, total_differences
from ardoise.einvoice.validation import LAYER_BR_FR, validate_cii
from ardoise.invoicing.models import Invoice

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference-invoices"
ALL_FILES = sorted(REFERENCE_DIR.glob("*/*.xml"))
# The MINIMUM and BASIC WL profiles carry no lines: there is nothing to rebuild.
WITHOUT_LINES = {"factur-x-minimum.xml", "factur-x-basicwl.xml"}
WITH_LINES = [path for path in ALL_FILES if path.name not in WITHOUT_LINES]

# Rates used to issue the invoices in foreign currencies: French rules want
# their VAT total in euros too, from a rate the user types on the invoice.
EXCHANGE_RATES = {"NOK": Decimal("0.0852"), "DKK": Decimal("0.134"), "SEK": Decimal("0.0876")}

pytestmark = pytest.mark.skipif(not ALL_FILES, reason="../shared/reference-invoices is missing")


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def parties_are_french(path: Path) -> bool:
    parsed = parse_invoice_file(path.read_bytes(), path.name)
    return parsed.seller.address.country_code == "FR" and parsed.buyer.address.country_code == "FR"


def test_every_reference_file_is_covered():
    assert len(ALL_FILES) == 14
    assert {path.name for path in ALL_FILES} >= WITHOUT_LINES


@pytest.mark.parametrize("path", WITH_LINES, ids=lambda path: path.name)
def test_engine_totals_equal_file_totals(path):
    parsed = parse_invoice_file(path.read_bytes(), path.name)

    computed = document_from_parsed(parsed).totals()

    assert total_differences(parsed.totals, computed) == {}
    assert computed.due == parsed.totals.due
    # A file without VAT (category O) may leave the VAT total (BT-110) out.
    assert computed.tax_total == (parsed.totals.tax_total or Decimal("0"))


@pytest.mark.parametrize("path", WITH_LINES, ids=lambda path: path.name)
@pytest.mark.django_db
def test_import_issue_export_passes_rules(path, organisation, tmp_path):
    draft_id = run("invoice", "--organisation", organisation.siren, "import", str(path))
    draft = Invoice.objects.get(pk=draft_id)
    prepare_for_issue(draft)

    number = run("invoice", "--organisation", organisation.siren, "issue", draft_id)
    output = tmp_path / "facture.xml"
    run("invoice", "--organisation", organisation.siren, "export", number, "--format", "cii", "--output", str(output))

    xml = output.read_bytes()
    report = validate_cii(xml, french_rules=parties_are_french(path))
    assert report.errors == ()
    assert "en16931" in report.layers
    assert (LAYER_BR_FR in report.layers) == parties_are_french(path)
    written = parse_invoice_file(path.read_bytes(), path.name).totals
    assert total_differences(written, document_from_parsed(parse_invoice_file(xml, output.name)).totals()) == {}


def prepare_for_issue(draft: Invoice) -> None:
    """Fill in what Ardoise requires before it issues a foreign file, as its error messages tell the user.

    That is the exchange rate of a foreign currency, and the buyer's e-mail
    and address when the file gives none, which Ardoise requires for every customer.
    """
    if draft.currency != "EUR":
        draft.exchange_rate = EXCHANGE_RATES[draft.currency]
        draft.save(update_fields=["exchange_rate"])
    customer = draft.customer
    if not (customer.siren or customer.email):
        customer.email = "factures@client.example"
    if not customer.address_line1:
        customer.address_line1 = "1 rue de l'Exemple"
    if not (customer.postcode and customer.city):
        customer.postcode, customer.city = customer.postcode or "0001", customer.city or "Exempleville"
    customer.save()


def test_basic_wl_totals_rebuilt_from_vat_breakdown():
    path = REFERENCE_DIR / "factur-x-samples" / "factur-x-basicwl.xml"
    parsed = parse_invoice_file(path.read_bytes(), path.name)

    computed = document_from_parsed(parsed).totals()

    assert total_differences(parsed.totals, computed) == {}
    assert computed.due == parsed.totals.due


@pytest.mark.parametrize("name", sorted(WITHOUT_LINES))
@pytest.mark.django_db
def test_file_without_lines_is_not_imported(name, organisation):
    path = REFERENCE_DIR / "factur-x-samples" / name

    if name == "factur-x-minimum.xml":
        with pytest.raises(CommandError, match="ne détaille ni les lignes ni la TVA par taux"):
            run("invoice", "totals", str(path))
    with pytest.raises(CommandError, match="ne peut pas être reprise en brouillon"):
        run("invoice", "--organisation", organisation.siren, "import", str(path))
