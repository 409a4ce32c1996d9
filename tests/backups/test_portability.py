"""``ardoise export-organisation`` and ``import-organisation``: an organisation moves to another installation."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.accounts.models import Organisation, Role
from ardoise.integrity.services import verify
from ardoise.invoicing.models import Invoice
from ardoise.quotes.models import Quote, QuoteInvoice, QuoteSettings, QuoteStatus

from .conftest import Installation, sqlite_installations_only


@pytest.fixture
def paid_invoice(issued_invoice, owner):
    from ardoise.payments.services import record_payment

    record_payment(issued_invoice, Decimal("100.00"), datetime.date(2026, 12, 4), user=owner)
    return issued_invoice


def run_command(*arguments: str) -> str:
    output = io.StringIO()
    call_command(*arguments, stdout=output)
    return output.getvalue()


@pytest.mark.django_db
def test_export_then_import_keeps_numbers_and_pdfs(paid_invoice, organisation, tmp_path):
    export = tmp_path / "export.zip"
    run_command("export-organisation", "--output", str(export))
    # The same installation stands in for another one: the original gets another SIREN so both can coexist.
    Organisation.objects.filter(pk=organisation.pk).update(siren="552100554")

    printed = run_command("import-organisation", str(export), "--owner", "nouveau@exemple.fr")

    assert "Chaîne d'intégrité reconstruite et vérifiée" in printed
    imported = Organisation.objects.exclude(pk=organisation.pk).get()
    assert imported.siren == "732829320"
    assert imported.memberships.get().role == Role.OWNER
    assert imported.memberships.get().user.email == "nouveau@exemple.fr"
    copy = Invoice.objects.get(organisation=imported)
    assert copy.number == paid_invoice.number == "F-2026-0001"
    assert copy.pk != paid_invoice.pk
    assert bytes(copy.files.pdf) == bytes(paid_invoice.files.pdf)
    assert bytes(copy.files.xml) == bytes(paid_invoice.files.xml)
    assert copy.total_with_vat == paid_invoice.total_with_vat
    assert copy.payments.get().amount == Decimal("100.00")
    result = verify(imported)
    assert result.ok
    assert result.checked == 3


@pytest.mark.django_db
def test_imported_organisation_has_report_tables(paid_invoice, organisation, tmp_path):
    from ardoise.reports.models import DocumentBalance, MonthlyReceipts, MonthlyRevenue

    export = tmp_path / "export.zip"
    run_command("export-organisation", "--output", str(export))
    Organisation.objects.filter(pk=organisation.pk).update(siren="552100554")

    run_command("import-organisation", str(export), "--owner", "nouveau@exemple.fr")

    imported = Organisation.objects.exclude(pk=organisation.pk).get()
    copy = Invoice.objects.get(organisation=imported)
    original_balance = DocumentBalance.objects.get(invoice=paid_invoice).balance
    assert DocumentBalance.objects.get(invoice=copy).balance == original_balance
    revenue = MonthlyRevenue.objects.filter(organisation=imported).values_list("invoiced", flat=True)
    original_revenue = MonthlyRevenue.objects.filter(organisation=organisation).values_list("invoiced", flat=True)
    assert list(revenue) == list(original_revenue)
    assert MonthlyReceipts.objects.filter(organisation=imported).count() == 1


def imported_copy(export, organisation):
    # The same installation is used as the target: the original gets another SIREN so both can coexist.
    Organisation.objects.filter(pk=organisation.pk).update(siren="552100554")
    run_command("import-organisation", str(export), "--owner", "nouveau@exemple.fr")
    return Organisation.objects.exclude(pk=organisation.pk).get()


@pytest.mark.django_db
def test_export_then_import_keeps_quotes(invoiced_quote, organisation, tmp_path):
    export = tmp_path / "export.zip"
    run_command("export-organisation", "--output", str(export))

    imported = imported_copy(export, organisation)

    copy = Quote.objects.get(organisation=imported, number=invoiced_quote.number)
    assert copy.pk != invoiced_quote.pk
    assert copy.status == QuoteStatus.INVOICED == invoiced_quote.status
    assert copy.customer.organisation == imported
    assert copy.series.organisation == imported
    assert bytes(copy.file.pdf) == invoiced_quote.issued_pdf()
    assert copy.document == invoiced_quote.document
    assert copy.document_adjustments == invoiced_quote.document_adjustments
    assert copy.total_with_vat == invoiced_quote.total_with_vat
    assert copy.accepted_by_name == "M. Martin"
    assert [line.name for line in copy.lines.all()] == ["Pose de carrelage", "Isolation"]
    previous = copy.previous_version
    assert previous.organisation == imported
    assert (previous.status, previous.version, previous.number) == (QuoteStatus.SUPERSEDED, 1, "D-2026-0001")
    assert previous.lines.count() == 2
    settings = QuoteSettings.objects.get(organisation=imported)
    assert (settings.validity_days, settings.default_conditions) == (45, "Sous 4 semaines.")

    original_links = QuoteInvoice.objects.filter(quote=invoiced_quote).order_by("id")
    links = QuoteInvoice.objects.filter(quote=copy).order_by("id")
    assert [(link.kind, link.invoice.number) for link in links] == [
        (link.kind, link.invoice.number) for link in original_links
    ]
    assert [link.kind for link in links] == ["deposit", "final"]
    assert all(link.invoice.organisation == imported for link in links)
    assert [link.amounts for link in links] == [link.amounts for link in original_links]
    assert verify(imported).ok


@pytest.mark.django_db
def test_imported_quote_stays_protected(invoiced_quote, organisation, tmp_path):
    from django.db import IntegrityError, transaction

    export = tmp_path / "export.zip"
    run_command("export-organisation", "--output", str(export))
    imported = imported_copy(export, organisation)

    copy = Quote.objects.get(organisation=imported, number=invoiced_quote.number)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.filter(pk=copy.pk).update(total_with_vat=Decimal("1.00"))


@pytest.mark.django_db
def test_import_refuses_altered_quote_pdf(invoiced_quote, organisation, tmp_path):
    export = tmp_path / "export.zip"
    run_command("export-organisation", "--output", str(export))
    altered = tmp_path / "altered.zip"
    member = "quotes/%s.pdf" % invoiced_quote.number
    with zipfile.ZipFile(export) as source, zipfile.ZipFile(altered, "w") as target:
        manifest = json.loads(source.read("manifest.json"))
        for name in source.namelist():
            data = source.read(name)
            if name == member:
                data = data[:100] + bytes([data[100] ^ 0x01]) + data[101:]
                manifest["members"][name] = hashlib.sha256(data).hexdigest()
            if name != "manifest.json":
                target.writestr(name, data)
        target.writestr("manifest.json", json.dumps(manifest))
    Organisation.objects.filter(pk=organisation.pk).update(siren="552100554")

    with pytest.raises(CommandError, match="Le PDF du devis D-2026-0002 manque ou diffère"):
        run_command("import-organisation", str(altered), "--owner", "nouveau@exemple.fr")

    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_import_reads_export_without_quotes(issued_invoice, organisation, tmp_path):
    export = tmp_path / "export.zip"
    run_command("export-organisation", "--output", str(export))
    older = tmp_path / "older.zip"
    quote_members = {"quote_settings", "quotes", "quote_lines", "quote_invoices"}
    with zipfile.ZipFile(export) as source, zipfile.ZipFile(older, "w") as target:
        manifest = json.loads(source.read("manifest.json"))
        for name in list(manifest["members"]):
            if name.split(".")[0] in quote_members:
                del manifest["members"][name]
        for name in manifest["members"]:
            target.writestr(name, source.read(name))
        target.writestr("manifest.json", json.dumps(manifest))

    imported = imported_copy(older, organisation)

    assert Invoice.objects.filter(organisation=imported).count() == 1
    assert not Quote.objects.filter(organisation=imported).exists()


@pytest.mark.django_db
def test_import_refuses_existing_siren(issued_invoice, tmp_path):
    export = tmp_path / "export.zip"
    run_command("export-organisation", "--output", str(export))

    with pytest.raises(CommandError, match="SIREN 732829320 existe déjà"):
        run_command("import-organisation", str(export), "--owner", "nouveau@exemple.fr")

    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_import_refuses_altered_pdf(issued_invoice, organisation, tmp_path):
    export = tmp_path / "export.zip"
    run_command("export-organisation", "--output", str(export))
    Organisation.objects.filter(pk=organisation.pk).update(siren="552100554")
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(export) as source, zipfile.ZipFile(altered, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith(".pdf"):
                data = data[:100] + bytes([data[100] ^ 0x01]) + data[101:]
            target.writestr(name, data)

    with pytest.raises(CommandError, match=r"empreinte différente pour documents/F-2026-0001\.pdf"):
        run_command("import-organisation", str(altered), "--owner", "nouveau@exemple.fr")

    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_import_refuses_non_zip(tmp_path):
    path = tmp_path / "export.zip"
    path.write_text("pas un zip")

    with pytest.raises(CommandError, match="n'est pas un export Ardoise lisible"):
        run_command("import-organisation", str(path), "--owner", "nouveau@exemple.fr")


@sqlite_installations_only
def test_demo_organisation_moves_to_new_installation(demo_installation, tmp_path):
    export = tmp_path / "export.zip"
    demo_installation.run("export-organisation", "--output", str(export))
    target = Installation(tmp_path / "target")
    target.run("migrate", "--noinput", "-v0")

    imported = target.run("import-organisation", str(export), "--owner", "nouveau@exemple.fr")

    assert "Mot de passe" in imported.stdout or "mot de passe" in imported.stdout
    assert "chaîne intacte" in target.run("verify").stdout
    query = (
        "SELECT i.number, f.pdf FROM invoicing_issuedfile f JOIN invoicing_invoice i ON i.id = f.invoice_id ORDER BY 1"
    )
    assert [(number, bytes(pdf)) for number, pdf in target.query(query)] == [
        (number, bytes(pdf)) for number, pdf in demo_installation.query(query)
    ]
