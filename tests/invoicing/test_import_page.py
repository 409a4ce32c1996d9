"""Importing an e-invoice from the web UI."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ardoise.invoicing.models import Invoice, InvoiceStatus

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "reference-invoices" / "factur-x-samples"


@pytest.mark.django_db
def test_import_creates_a_draft_and_shows_it(owner_client, organisation):
    xml = (SAMPLE / "factur-x-en16931.xml").read_bytes()
    upload = SimpleUploadedFile("facture.xml", xml, content_type="text/xml")
    response = owner_client.post(reverse("invoicing:import"), {"file": upload}, follow=True)
    invoice = Invoice.objects.get(organisation=organisation)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.total_with_vat == Decimal("104.90")
    assert response.redirect_chain[-1][0] == invoice.get_absolute_url()
    assert "Brouillon créé à partir de « facture.xml »" in response.text
    assert "n&#x27;est pas votre entreprise" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"bonjour", "ni un PDF ni un XML"),
        ("vide.pdf", b"%PDF-1.7\n%%EOF", "PDF"),
        ("entites.xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "entites.xml"),
    ],
)
def test_bad_files_are_refused_in_french_and_create_nothing(owner_client, organisation, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = owner_client.post(reverse("invoicing:import"), {"file": upload})
    assert response.status_code == 200
    assert message in response.text
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_import_page_needs_a_login(client):
    response = client.get(reverse("invoicing:import"))
    assert response.status_code == 302
    assert "/compte/connexion/" in response["Location"]


@pytest.mark.django_db
def test_import_warns_about_rebuilt_lines(owner_client, organisation):
    xml = (SAMPLE.parent / "cen-cii-examples" / "CII_example1.xml").read_bytes()
    upload = SimpleUploadedFile("CII_example1.xml", xml, content_type="text/xml")

    response = owner_client.post(reverse("invoicing:import"), {"file": upload}, follow=True)

    invoice = Invoice.objects.get(organisation=organisation)
    rebuilt = invoice.lines.get(position=20)
    assert "Ligne 20 : le fichier indique un montant HT de -109,98" in response.text
    assert (rebuilt.quantity, rebuilt.unit_price) == (Decimal("-6"), Decimal("18.33"))
    assert invoice.total_with_vat == Decimal("250.33")


@pytest.mark.django_db
def test_import_page_warns_on_total_gap(owner_client, organisation):
    xml = (SAMPLE / "factur-x-en16931.xml").read_text(encoding="utf-8")
    wrong = xml.replace("<ram:GrandTotalAmount>104.90<", "<ram:GrandTotalAmount>110.90<")
    upload = SimpleUploadedFile("total-faux.xml", wrong.encode(), content_type="text/xml")

    response = owner_client.post(reverse("invoicing:import"), {"file": upload}, follow=True)

    assert Invoice.objects.get(organisation=organisation).total_with_vat == Decimal("104.90")
    assert "Total TTC (BT-112) écrit 110,90\u00a0€ dans le fichier, 104,90\u00a0€ calculé" in response.text


@pytest.mark.django_db
def test_empty_file_names_the_expected_formats(owner_client, organisation):
    upload = SimpleUploadedFile("facture.pdf", b"")

    response = owner_client.post(reverse("invoicing:import"), {"file": upload})

    assert "Le fichier envoyé est vide (0 octet) : choisissez la facture elle-même, un PDF Factur-X" in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert not Invoice.objects.exists()
