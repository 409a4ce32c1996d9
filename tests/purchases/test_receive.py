"""Supplier invoices received as files: read, validated in three layers, kept, refused with a reason."""

from __future__ import annotations

import datetime
import io
import os
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ardoise.audit.models import AuditEntry
from ardoise.jobs.services import run_due
from ardoise.purchases.models import Source, SupplierInvoice
from ardoise.purchases.services import MAX_FILE_BYTES, ReceiveError, receive
from ardoise.purchases.tasks import INBOX

pytestmark = pytest.mark.django_db

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference-invoices"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">
&lol2;</rsm:CrossIndustryInvoice>
"""


def reference(name: str) -> bytes:
    return next(REFERENCE_DIR.glob("*/" + name)).read_bytes()


def test_cii_invoice_is_read_and_validated(organisation):
    invoice = receive(organisation, reference("CII_example1.xml"), "CII_example1.xml")

    assert invoice.file_format == "cii"
    assert invoice.supplier_name == "De Koksmaat"
    assert invoice.number == "12115118"
    assert str(invoice.total_with_vat) == "250.33"
    assert invoice.is_valid
    assert len(invoice.details["lines"]) == 20
    assert bytes(invoice.content) == reference("CII_example1.xml")
    assert AuditEntry.objects.filter(action="supplier_invoice.received").count() == 1


def test_invalid_invoice_is_kept_with_its_errors(organisation):
    invoice = receive(organisation, reference("CII_business_example_02.xml"), "exemple.xml")

    assert not invoice.is_valid
    assert invoice.validation["errors"][0]["rule"]
    assert invoice.validation["errors"][0]["message"]


def test_facturx_pdf_of_another_business(organisation, other_organisation, issued_invoice):
    pdf = bytes(issued_invoice.files.pdf)

    invoice = receive(other_organisation, pdf, "F-2026-0001.pdf")

    assert invoice.file_format == "facturx"
    assert invoice.supplier_name == organisation.name
    assert invoice.is_valid, invoice.validation
    assert invoice.warnings == [
        "L'acheteur de cette facture (SIREN 552081317) n'est pas votre entreprise (SIREN %s)."
        % other_organisation.siren
    ]


def test_same_file_twice_is_refused(organisation):
    receive(organisation, reference("CII_example1.xml"), "a.xml")

    with pytest.raises(ReceiveError, match=r"a déjà été reçu le .* : facture 12115118 de De Koksmaat"):
        receive(organisation, reference("CII_example1.xml"), "copie.xml")

    assert SupplierInvoice.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "DOCTYPE"),
        (b"bonjour", "n'est ni un PDF ni un XML"),
        (b"%PDF-1.7\nabime", "n'est pas un PDF lisible"),
        (b"<facture>incomplete", "n'est pas un XML valide"),
        (b"0" * (MAX_FILE_BYTES + 1), "plus de 20 Mo"),
    ],
)
def test_bad_files_are_refused_and_not_kept(organisation, data, message):
    with pytest.raises(ReceiveError, match=message):
        receive(organisation, data, "facture.xml")

    assert not SupplierInvoice.objects.exists()


def test_folder_files_are_received_by_the_worker(organisation, settings, tmp_path):
    settings.ARDOISE_INBOX_DIR = tmp_path
    folder = tmp_path / organisation.siren
    folder.mkdir()
    (folder / "bonne.xml").write_bytes(reference("CII_example1.xml"))
    (folder / "mauvaise.xml").write_bytes(b"pas une facture")
    (folder / "note.txt").write_text("ignorée")
    old = time.time() - 60
    for path in folder.iterdir():
        os.utime(path, (old, old))

    run_due(datetime.date(2026, 12, 4), [INBOX])
    second = run_due(datetime.date(2026, 12, 4), [INBOX])

    invoice = SupplierInvoice.objects.get()
    assert invoice.source == Source.FOLDER
    assert (folder / "recues" / "bonne.xml").exists()
    assert (folder / "refusees" / "mauvaise.xml").exists()
    assert "n'est ni un PDF ni un XML" in (folder / "refusees" / "mauvaise.xml.erreur.txt").read_text()
    assert (folder / "note.txt").exists()
    assert second.outcomes == []


def test_file_still_being_written_waits(organisation, settings, tmp_path):
    settings.ARDOISE_INBOX_DIR = tmp_path
    folder = tmp_path / organisation.siren
    folder.mkdir()
    (folder / "en-cours.xml").write_bytes(reference("CII_example1.xml"))

    run_due(datetime.date(2026, 12, 4), [INBOX])

    assert not SupplierInvoice.objects.exists()
    assert (folder / "en-cours.xml").exists()


def test_command_receives_lists_and_pays(organisation, tmp_path):
    good = tmp_path / "facture.xml"
    good.write_bytes(reference("CII_example1.xml"))
    bad = tmp_path / "mauvaise.xml"
    bad.write_bytes(b"rien")
    output = io.StringIO()

    with pytest.raises(CommandError, match="1 fichier"):
        call_command("purchases", "receive", str(good), str(bad), stdout=output)
    invoice = SupplierInvoice.objects.get()
    call_command("purchases", "pay", str(invoice.pk), "--date", "2026-12-05", stdout=output)
    call_command("purchases", "list", "--unpaid", stdout=output)

    text = output.getvalue()
    assert "reçue, identifiant %s, facture 12115118 de De Koksmaat, conforme." % invoice.pk in text
    assert "mauvaise.xml : refusé." in text
    assert "Facture 12115118 marquée payée le 05/12/2026." in text
    invoice.refresh_from_db()
    assert invoice.paid_on == datetime.date(2026, 12, 5)
