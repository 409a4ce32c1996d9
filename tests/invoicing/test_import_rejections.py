"""Importing a file that is not a usable invoice: a French message naming the problem and the fix, nothing saved.

Each bad file goes through both entry points, ``ardoise invoice import`` and
the import page, against an organisation whose profile is empty, so that a
partial import would show up as a filled profile as well as a customer or a
draft.
"""

from __future__ import annotations

from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from pypdf import PdfWriter

from ardoise.accounts.models import Organisation
from ardoise.audit.models import AuditEntry
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from tests.conftest import make_user

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "reference-invoices" / "factur-x-samples"
EN16931_SAMPLE = SAMPLES / "factur-x-en16931.xml"
pytestmark = pytest.mark.skipif(not EN16931_SAMPLE.exists(), reason="../shared/reference-invoices is missing")

UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def sample() -> bytes:
    return EN16931_SAMPLE.read_bytes()


def pdf_with(attachment: tuple[str, bytes] | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if attachment is not None:
        writer.add_attachment(*attachment)
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def ubl_with_guideline(guideline: str) -> bytes:
    return (
        f'<Invoice xmlns="{UBL_INVOICE_NS}" xmlns:cbc="{CBC_NS}">'
        f"<cbc:CustomizationID>{guideline}</cbc:CustomizationID><cbc:ID>F-1</cbc:ID></Invoice>"
    ).encode()


# (file name, content, parts of the message: the problem, then the fix)
BAD_FILES = {
    "credit note": (
        "avoir.xml",
        lambda: sample().replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>381</ram:TypeCode>", 1),
        ["est un avoir", "type 381", "Créer un avoir"],
    ),
    "doctype with entities": (
        "entites.xml",
        lambda: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        ["« entites.xml » contient une déclaration DOCTYPE", "exportez-la de nouveau"],
    ),
    "doctype in a real invoice": (
        "facture-doctype.xml",
        lambda: sample().replace(
            b"<rsm:CrossIndustryInvoice", b"<!DOCTYPE rsm:CrossIndustryInvoice>\n<rsm:CrossIndustryInvoice", 1
        ),
        ["contient une déclaration DOCTYPE", "exportez-la de nouveau"],
    ),
    "external entity": (
        "xxe.xml",
        lambda: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file:///etc/passwd">]><x>&s;</x>',
        ["contient une déclaration DOCTYPE", "exportez-la de nouveau"],
    ),
    "unknown guideline in CII": (
        "profil.xml",
        lambda: sample().replace(b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>", b"<ram:ID>urn:example:inconnu</ram:ID>"),
        ["n'indique pas un profil de facture connu (BT-24, « urn:example:inconnu »)", "au profil EN 16931"],
    ),
    "unknown guideline in UBL": (
        "profil-ubl.xml",
        lambda: ubl_with_guideline("urn:example:inconnu"),
        ["n'indique pas un profil de facture connu (BT-24, « urn:example:inconnu »)", "au profil EN 16931"],
    ),
    "empty guideline in CII": (
        "profil-vide.xml",
        lambda: sample().replace(b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>", b"<ram:ID></ram:ID>"),
        ["n'indique pas un profil de facture connu (BT-24, « — »)", "au profil EN 16931"],
    ),
    "empty guideline in UBL": (
        "profil-vide-ubl.xml",
        lambda: ubl_with_guideline(""),
        ["n'indique pas un profil de facture connu (BT-24, « — »)", "au profil EN 16931"],
    ),
    "Factur-X profile declared in UBL": (
        "minimum-ubl.xml",
        lambda: ubl_with_guideline("urn:factur-x.eu:1p0:minimum"),
        ["n'indique pas un profil de facture connu", "au profil EN 16931"],
    ),
    "MINIMUM profile": (
        "factur-x-minimum.xml",
        lambda: (SAMPLES / "factur-x-minimum.xml").read_bytes(),
        ["au profil MINIMUM, qui ne détaille pas les lignes", "Importez la facture au profil EN 16931 ou EXTENDED"],
    ),
    "BASIC WL profile": (
        "factur-x-basicwl.xml",
        lambda: (SAMPLES / "factur-x-basicwl.xml").read_bytes(),
        ["au profil BASIC WL, qui ne détaille pas les lignes", "Importez la facture au profil EN 16931 ou EXTENDED"],
    ),
    "XML that is not an invoice": (
        "commande.xml",
        lambda: b'<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
        [
            "n'est pas une facture : son élément racine est « Order »",
            "Importez une facture au format Factur-X, CII ou UBL",
        ],
    ),
    "truncated invoice": (
        "coupee.xml",
        lambda: sample()[: len(sample()) // 2],
        ["« coupee.xml » n'est pas un XML valide : il est mal formé ou incomplet", "Exportez de nouveau la facture"],
    ),
    "empty file": (
        "vide.xml",
        lambda: b"",
        ["« vide.xml » n'est ni un PDF ni un XML", "Importez une facture au format Factur-X (PDF), CII ou UBL (XML)"],
    ),
    "PDF without invoice XML": (
        "scan.pdf",
        lambda: pdf_with(),
        ["« scan.pdf » ne contient pas de XML Factur-X", "Exportez la facture au format Factur-X"],
    ),
    "PDF with a UBL attachment": (
        "ubl.pdf",
        lambda: pdf_with(("factur-x.xml", ubl_with_guideline("urn:cen.eu:en16931:2017"))),
        ["« ubl.pdf » contient une facture UBL", "Importez le XML UBL seul"],
    ),
    "truncated PDF": (
        "coupe.pdf",
        lambda: pdf_with(("factur-x.xml", sample()))[:400],
        ["coupe.pdf"],
    ),
}


@pytest.fixture
def empty_organisation(db) -> Organisation:
    return Organisation.objects.create(name="Nouvelle entreprise")


def assert_nothing_saved(organisation: Organisation) -> None:
    organisation.refresh_from_db()
    assert not Invoice.objects.exists()
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()
    assert organisation.profile_is_empty()
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_FILES)
def test_command_rejects_bad_file(case, empty_organisation, tmp_path):
    name, content, parts = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(content())

    with pytest.raises(CommandError) as raised:
        call_command("invoice", "import", str(path), stdout=StringIO(), stderr=StringIO())

    for part in parts:
        assert part in str(raised.value)
    assert_nothing_saved(empty_organisation)


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_FILES)
def test_import_page_rejects_bad_file(case, client, empty_organisation):
    name, content, parts = BAD_FILES[case]
    client.force_login(make_user("gerant@nouvelle.example", empty_organisation, role="owner"))

    # Django's form already rejects an empty upload, so the page gets one blank instead.
    upload = SimpleUploadedFile(name, content() or b" ")
    response = client.post(reverse("invoicing:import"), {"file": upload})

    assert response.status_code == 200
    page = response.content.decode().replace("&#x27;", "'")
    for part in parts:
        assert part in page
    assert_nothing_saved(empty_organisation)
