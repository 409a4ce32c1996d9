"""``ardoise export-organisation`` and ``import-organisation``: an organisation moves to another installation."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.accounts.models import Organisation, Role
from ardoise.integrity.services import verify
from ardoise.invoicing.models import Invoice

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
