"""The supplier invoice pages: upload several files, list, detail, payment; scoped to the organisation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ardoise.purchases.models import SupplierInvoice
from ardoise.purchases.services import receive
from tests.purchases.test_receive import reference

pytestmark = pytest.mark.django_db


def test_upload_several_files(member_client, organisation):
    files = [
        SimpleUploadedFile("a.xml", reference("CII_example1.xml")),
        SimpleUploadedFile("b.xml", b"pas une facture"),
    ]

    response = member_client.post(reverse("purchases:list"), {"files": files}, follow=True)

    assert SupplierInvoice.objects.count() == 1
    assert "1 facture(s) reçue(s)." in response.text
    assert "b.xml" in response.text
    assert "De Koksmaat" in response.text


def test_detail_pay_and_unpay(member_client, organisation):
    invoice = receive(organisation, reference("CII_example1.xml"), "a.xml")

    page = member_client.get(reverse("purchases:detail", args=[invoice.pk]))
    member_client.post(reverse("purchases:pay", args=[invoice.pk]), {"date": "2026-12-05", "method": "virement"})
    invoice.refresh_from_db()
    paid = invoice.paid_on
    member_client.post(reverse("purchases:unpay", args=[invoice.pk]))
    invoice.refresh_from_db()

    assert "Conforme" in page.text
    assert str(paid) == "2026-12-05"
    assert invoice.paid_on is None


def test_pay_refuses_bad_date(member_client, organisation):
    invoice = receive(organisation, reference("CII_example1.xml"), "a.xml")

    response = member_client.post(
        reverse("purchases:pay", args=[invoice.pk]), {"date": "31/02/2026", "method": "virement"}
    )

    assert response.status_code == 400
    invoice.refresh_from_db()
    assert invoice.paid_on is None


def test_original_file_download(member_client, organisation):
    invoice = receive(organisation, reference("CII_example1.xml"), "a.xml")

    response = member_client.get(reverse("purchases:file", args=[invoice.pk]))

    assert response.content == reference("CII_example1.xml")
    assert response["Content-Type"] == "application/xml"


def test_list_filters_to_pay(member_client, organisation):
    invoice = receive(organisation, reference("CII_example1.xml"), "a.xml")
    member_client.post(reverse("purchases:pay", args=[invoice.pk]), {"date": "2026-12-05", "method": "virement"})

    response = member_client.get(reverse("purchases:list") + "?a_payer=1")

    assert "De Koksmaat" not in response.text
