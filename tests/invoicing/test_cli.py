"""The ``ardoise`` subcommands, on real reference invoices."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.accounts.models import Organisation
from ardoise.customers.models import Customer
from ardoise.einvoice.parse import parse_invoice_file
from ardoise.einvoice.validation import validate_facturx_pdf
from ardoise.invoicing.models import Invoice, InvoiceStatus

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "reference-invoices"
EN16931_SAMPLE = SAMPLES / "factur-x-samples" / "factur-x-en16931.xml"
pytestmark = pytest.mark.skipif(not EN16931_SAMPLE.exists(), reason="../shared/reference-invoices is missing")


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.mark.django_db
def test_import_issue_export_keeps_the_sample_totals_and_validates(tmp_path):
    draft_id = run("invoice", "import", str(EN16931_SAMPLE))
    number = run("invoice", "issue", draft_id)
    output = tmp_path / "facture.pdf"
    run("invoice", "export", number, "--format", "facturx", "--output", str(output))

    pdf = output.read_bytes()
    report = validate_facturx_pdf(pdf)
    assert report.errors == ()
    assert set(report.layers) >= {"xsd", "en16931", "br-fr"}

    written = parse_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name).totals.as_bt_dict()
    exported = parse_invoice_file(pdf, output.name).totals.as_bt_dict()
    for term in ["BT-106", "BT-107", "BT-108", "BT-109", "BT-110", "BT-112", "BT-113", "BT-114", "BT-115"]:
        assert exported.get(term, Decimal("0.00")) == written.get(term, Decimal("0.00")), term


@pytest.mark.django_db
def test_import_fills_an_empty_profile_and_creates_the_customer_once():
    first = run("invoice", "import", str(EN16931_SAMPLE))
    second = run("invoice", "import", str(EN16931_SAMPLE))
    organisation = Organisation.objects.get()
    assert first != second
    assert organisation.siren != ""
    assert Customer.objects.filter(organisation=organisation).count() == 1
    assert Invoice.objects.filter(status=InvoiceStatus.DRAFT).count() == 2


@pytest.mark.django_db
def test_import_matches_an_existing_customer_by_siren(organisation):
    parsed = parse_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name)
    existing = Customer.objects.create(organisation=organisation, name="Nom différent", siren=parsed.buyer.siren)
    draft = Invoice.objects.get(pk=run("invoice", "import", str(EN16931_SAMPLE)))
    assert draft.customer == existing


@pytest.mark.django_db
def test_import_keeps_a_filled_profile(organisation):
    run("invoice", "import", str(EN16931_SAMPLE))
    organisation.refresh_from_db()
    assert organisation.name == "Atelier Dupont SARL"


@pytest.mark.django_db
def test_show_json_gives_totals_with_bt_codes_paid_and_balance(draft_invoice):
    number = run("invoice", "issue", str(draft_invoice.pk))
    issue_date = Invoice.objects.get(number=number).issue_date.isoformat()
    run("payment", "add", number, "500,00", "--date", issue_date, "--method", "cheque")
    shown = json.loads(run("invoice", "show", number, "--json"))
    assert shown["number"] == number
    assert shown["status"] == "partially_paid"
    assert shown["totals"]["BT-109"] == "897.81"
    assert shown["totals"]["BT-110"] == "167.19"
    assert shown["totals"]["BT-112"] == "1065.00"
    assert shown["totals"]["BT-115"] == "1065.00"
    assert shown["paid"] == "500.00"
    assert shown["balance"] == "565.00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("invoice", "import", "/nonexistent/facture.xml"), "introuvable"),
        (("invoice", "issue", "999"), "Aucun brouillon n° 999"),
        (("invoice", "show", "F-1999-0001"), "Aucune facture"),
        (("invoice", "export", "F-1999-0001", "--output", "/tmp/x.pdf"), "Aucune facture émise"),
        (("payment", "add", "F-1999-0001", "12,5x", "--date", "2026-12-04"), "Montant « 12,5x » invalide"),
        (
            ("payment", "add", "F-1999-0001", "10", "--date", "31/11/2026"),
            "--date : la date « 31/11/2026 » n'existe pas",
        ),
    ],
)
def test_bad_input_gives_a_french_error(organisation, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


@pytest.mark.django_db
def test_import_of_a_text_file_is_refused_in_french(organisation, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("bonjour")
    with pytest.raises(CommandError, match="ni un PDF ni un XML"):
        run("invoice", "import", str(bogus))


@pytest.mark.django_db
def test_issuing_an_issued_invoice_is_refused(draft_invoice):
    run("invoice", "issue", str(draft_invoice.pk))
    with pytest.raises(CommandError, match="ne peut plus être modifiée"):
        run("invoice", "issue", str(draft_invoice.pk))


def test_ardoise_command_exits_non_zero_with_french_usage_error():
    ardoise = Path(sys.executable).parent / "ardoise"
    result = subprocess.run([str(ardoise), "invoice", "issue"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Erreur : Argument obligatoire manquant : ID." in result.stderr


@pytest.mark.django_db
def test_export_pdf_is_the_issued_pdf_without_its_xml(draft_invoice, tmp_path):
    from pypdf import PdfReader

    number = run("invoice", "issue", str(draft_invoice.pk))
    run("invoice", "export", number, "--format", "pdf", "--output", str(tmp_path / "plain.pdf"))
    run("invoice", "export", number, "--format", "facturx", "--output", str(tmp_path / "fx.pdf"))
    assert list(PdfReader(tmp_path / "plain.pdf").attachments) == []
    assert list(PdfReader(tmp_path / "fx.pdf").attachments) == ["factur-x.xml"]
    assert len(PdfReader(tmp_path / "plain.pdf").pages) == len(PdfReader(tmp_path / "fx.pdf").pages)


@pytest.mark.django_db
def test_show_without_json_writes_french_amounts(draft_invoice):
    number = run("invoice", "issue", str(draft_invoice.pk))
    shown = run("invoice", "show", number)
    assert "Statut" in shown
    assert "Net à payer (BT-115)" in shown
    assert "1\u202f065,00\u00a0€" in shown


@pytest.mark.django_db
def test_import_warns_when_the_seller_is_another_business(organisation):
    from ardoise.invoicing.importing import import_invoice_file

    invoice = import_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name, organisation=organisation)
    assert len(invoice.import_warnings) == 1
    assert "n'est pas votre entreprise (SIREN 732829320)" in invoice.import_warnings[0]


@pytest.mark.django_db
def test_import_leaves_out_the_sellers_legal_notes(organisation):
    from ardoise.invoicing.importing import import_invoice_file

    invoice = import_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name, organisation=organisation)
    assert "RCS" not in invoice.notes
    assert "capital" not in invoice.notes


def test_unknown_command_is_refused_in_french():
    ardoise = Path(sys.executable).parent / "ardoise"
    result = subprocess.run([str(ardoise), "frobnicate"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "commande inconnue « frobnicate »" in result.stderr


def test_non_numeric_draft_id_is_explained_in_french():
    ardoise = Path(sys.executable).parent / "ardoise"
    result = subprocess.run(
        [str(ardoise), "invoice", "issue", "F-2026-0004"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "ID doit être un nombre entier" in result.stderr


@pytest.mark.django_db
def test_import_stores_identifiers_without_spaces(organisation):
    from ardoise.invoicing.importing import import_invoice_file

    invoice = import_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name, organisation=organisation)
    assert " " not in invoice.customer.vat_number
    assert invoice.customer.vat_number.startswith("FR")


@pytest.mark.django_db
def test_import_warns_when_the_invoice_was_already_issued(draft_invoice, tmp_path):
    from ardoise.invoicing.importing import import_invoice_file

    number = run("invoice", "issue", str(draft_invoice.pk))
    output = tmp_path / "facture.pdf"
    run("invoice", "export", number, "--output", str(output))
    copy = import_invoice_file(output.read_bytes(), output.name, organisation=draft_invoice.organisation)
    assert any("La facture %s existe déjà" % number in warning for warning in copy.import_warnings)


@pytest.mark.django_db
def test_truncated_xml_is_refused_in_french(organisation, tmp_path):
    truncated = tmp_path / "coupe.xml"
    truncated.write_bytes(EN16931_SAMPLE.read_bytes()[:300])
    with pytest.raises(CommandError) as raised:
        run("invoice", "import", str(truncated))
    assert "n'est pas un XML valide : il est mal formé ou incomplet" in str(raised.value)
    assert "Premature" not in str(raised.value)


def test_totals_rebuilds_the_sample_from_its_lines():
    computed = json.loads(run("invoice", "totals", str(EN16931_SAMPLE), "--json"))
    written = parse_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name).totals.as_bt_dict()
    assert computed["differences_with_file"] == {}
    for term in ["BT-106", "BT-107", "BT-108", "BT-109", "BT-110", "BT-112", "BT-115"]:
        assert computed["totals"][term] == str(written[term]), term
    assert {row["BT-118"] for row in computed["vat_breakdown"]} == {"S", "E", "K"}


def test_totals_of_a_minimum_profile_file_is_refused_in_french():
    minimum = SAMPLES / "factur-x-samples" / "factur-x-minimum.xml"
    with pytest.raises(CommandError, match="ne détaille ni les lignes ni la TVA par taux"):
        run("invoice", "totals", str(minimum))


def test_basic_wl_totals_from_breakdown():
    basic_wl = SAMPLES / "factur-x-samples" / "factur-x-basicwl.xml"

    computed = json.loads(run("invoice", "totals", str(basic_wl), "--json"))

    assert computed["differences_with_file"] == {}
    assert computed["totals"]["BT-115"] == "104.90"
    assert any("Faute de lignes" in warning for warning in computed["warnings"])


def test_totals_json_lists_rebuilt_lines_as_warnings():
    inconsistent = SAMPLES / "cen-cii-examples" / "CII_example1.xml"

    computed = json.loads(run("invoice", "totals", str(inconsistent), "--json"))

    assert computed["differences_with_file"] == {}
    assert computed["totals"]["BT-115"] == "250.33"
    assert len(computed["warnings"]) == 1
    assert computed["warnings"][0].startswith("Ligne 20 : le fichier indique un montant HT de -109,98")


def test_consistent_file_has_no_warning():
    computed = json.loads(run("invoice", "totals", str(EN16931_SAMPLE), "--json"))

    assert computed["warnings"] == []


@pytest.mark.django_db
def test_import_prints_rebuilt_lines_as_warnings():
    from io import StringIO

    errors = StringIO()
    call_command(
        "invoice", "import", str(SAMPLES / "cen-cii-examples" / "CII_example1.xml"), stdout=StringIO(), stderr=errors
    )

    assert "Attention : Ligne 20 : le fichier indique un montant HT de -109,98" in errors.getvalue()


def with_wrong_grand_total(tmp_path: Path) -> Path:
    """Copy the EN 16931 sample with its BT-112 raised from 104.90 to 110.90, its lines unchanged."""
    xml = EN16931_SAMPLE.read_text(encoding="utf-8")
    assert "<ram:GrandTotalAmount>104.90</ram:GrandTotalAmount>" in xml
    wrong = tmp_path / "total-faux.xml"
    wrong.write_text(xml.replace("<ram:GrandTotalAmount>104.90<", "<ram:GrandTotalAmount>110.90<"), encoding="utf-8")
    return wrong


LINE_PROFILE_SAMPLES = sorted(
    path for path in SAMPLES.glob("*/*.xml") if path.name not in ("factur-x-minimum.xml", "factur-x-basicwl.xml")
)


@pytest.mark.django_db
@pytest.mark.parametrize("sample", LINE_PROFILE_SAMPLES, ids=lambda path: path.name)
def test_import_reaches_the_totals_of_every_reference_file(sample):
    from io import StringIO

    errors = StringIO()
    draft_id = run_capturing(errors, "invoice", "import", str(sample))

    written = parse_invoice_file(sample.read_bytes(), sample.name).totals
    draft = Invoice.objects.get(pk=draft_id)
    assert draft.total_with_vat == written.tax_inclusive
    assert draft.amount_due == written.due
    assert "Écart" not in errors.getvalue()


def run_capturing(errors: object, *args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=errors)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_import_warns_when_draft_totals_differ_from_file(tmp_path):
    from io import StringIO

    errors = StringIO()
    run_capturing(errors, "invoice", "import", str(with_wrong_grand_total(tmp_path)))

    assert (
        "Attention : Écart entre le fichier et le brouillon : Total TTC (BT-112) écrit 110,90\u00a0€ dans le fichier, "
        "104,90\u00a0€ calculé." in errors.getvalue()
    )


def test_totals_exits_with_status_one_on_a_gap(tmp_path):
    ardoise = Path(sys.executable).parent / "ardoise"
    result = subprocess.run(
        [str(ardoise), "invoice", "totals", str(with_wrong_grand_total(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Total TTC (BT-112) : 104,90\u00a0€" in result.stdout
    assert "Écart avec le fichier : Total TTC (BT-112) écrit 110,90\u00a0€ dans le fichier, 104,90\u00a0€ calculé." in (
        result.stderr
    )


def test_totals_exits_with_status_zero_without_gap():
    ardoise = Path(sys.executable).parent / "ardoise"
    result = subprocess.run(
        [str(ardoise), "invoice", "totals", str(EN16931_SAMPLE), "--json"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["differences_with_file"] == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("export_format", "filename"),
    [
        ("facturx", "Facture-F-2026-0001.pdf"),
        ("pdf", "Facture-F-2026-0001.sans-xml.pdf"),
        ("cii", "Facture-F-2026-0001.xml"),
        ("ubl", "Facture-F-2026-0001.ubl.xml"),
    ],
)
@pytest.mark.usefixtures("december_2026")
def test_export_without_output_writes_download_name(draft_invoice, tmp_path, monkeypatch, export_format, filename):
    number = run("invoice", "issue", str(draft_invoice.pk))
    monkeypatch.chdir(tmp_path)

    printed = run("invoice", "export", number, "--format", export_format)

    assert printed.startswith(f"{filename} écrit (")
    assert (tmp_path / filename).stat().st_size > 0


@pytest.mark.django_db
@pytest.mark.usefixtures("december_2026")
def test_export_without_output_keeps_an_existing_file(draft_invoice, tmp_path, monkeypatch):
    number = run("invoice", "issue", str(draft_invoice.pk))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Facture-F-2026-0001.pdf").write_bytes(b"ancien")

    with pytest.raises(CommandError, match="existe déjà : supprimez-le ou indiquez un autre fichier avec --output"):
        run("invoice", "export", number)
    assert (tmp_path / "Facture-F-2026-0001.pdf").read_bytes() == b"ancien"


@pytest.mark.django_db
def test_import_warns_for_foreign_seller_by_vat_number(organisation):
    from ardoise.invoicing.importing import import_invoice_file

    sample = Path(EN16931_SAMPLE).parent.parent / "cen-cii-examples" / "CII_example4.xml"
    invoice = import_invoice_file(sample.read_bytes(), sample.name, organisation=organisation)

    warnings = [w for w in invoice.import_warnings if "n'est pas votre entreprise" in w]
    assert len(warnings) == 1
    assert "(TVA %s)" % organisation.vat_number in warnings[0]


@pytest.mark.django_db
def test_import_warnings_are_kept_in_history(organisation):
    from ardoise.audit.models import AuditEntry
    from ardoise.invoicing.importing import import_invoice_file

    invoice = import_invoice_file(EN16931_SAMPLE.read_bytes(), EN16931_SAMPLE.name, organisation=organisation)

    entry = AuditEntry.objects.get(action="invoice.imported")
    assert entry.data["warnings"] == invoice.import_warnings
    assert "n'est pas votre entreprise" in entry.data["warnings"][0]
