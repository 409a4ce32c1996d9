"""The import pages: upload, columns and check, confirmation; scoped to the organisation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ardoise.catalogue.models import Product
from ardoise.customers.models import Customer
from ardoise.imports.models import ImportBatch
from tests.imports.test_import import CUSTOMERS_CSV

pytestmark = pytest.mark.django_db


def upload(client, data=CUSTOMERS_CSV, name="clients.csv", kind="clients"):
    return client.post(reverse("imports:upload", args=[kind]), {"file": SimpleUploadedFile(name, data)})


def post_batch(client, batch, action, **changes):
    data = {name: "" if index is None else str(index) for name, index in batch.mapping.items()}
    data.update(changes, action=action)
    return client.post(reverse("imports:batch", args=[batch.pk]), data)


def test_upload_then_check_lists_errors(owner_client, organisation, customer):
    response = upload(owner_client)
    batch = ImportBatch.objects.get()
    page = owner_client.get(response["Location"])

    assert response.status_code == 302
    assert page.status_code == 200
    assert "6 lignes lues" in page.text
    assert "Doublon de la ligne 4 (même SIREN « 732829320 ») : ligne ignorée." in page.text
    assert "Importer seulement les 3 lignes valides" in page.text
    assert batch.mapping["siren"] == 1


def test_import_valid_lines_from_page(owner_client, organisation, customer):
    upload(owner_client)
    batch = ImportBatch.objects.get()

    response = post_batch(owner_client, batch, "import_valid")

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:list")
    assert Customer.objects.filter(organisation=organisation).count() == 4
    assert not ImportBatch.objects.exists()


def test_full_import_refused_while_errors(owner_client, organisation, customer):
    upload(owner_client)
    batch = ImportBatch.objects.get()

    response = post_batch(owner_client, batch, "import")

    assert response.status_code == 400
    assert "3 lignes comportent une erreur" in response.text
    assert Customer.objects.filter(organisation=organisation).count() == 1


def test_changing_columns_rechecks(owner_client, organisation):
    upload(owner_client)
    batch = ImportBatch.objects.get()

    response = post_batch(owner_client, batch, "check", siren="")

    batch.refresh_from_db()
    assert response.status_code == 200
    assert batch.mapping["siren"] is None
    assert "Doublon de la ligne" not in response.text


def test_required_column_must_be_chosen(owner_client, organisation):
    upload(owner_client)
    batch = ImportBatch.objects.get()

    response = post_batch(owner_client, batch, "import", name="")

    assert response.status_code == 400
    assert "Choisissez la colonne qui contient ce champ obligatoire." in response.text
    assert not Customer.objects.exists()


def test_unreadable_upload_is_explained(owner_client, organisation):
    response = upload(owner_client, data=b"PK\x03\x04pas un classeur", name="clients.xlsx")

    assert response.status_code == 400
    assert "n&#x27;est pas un classeur XLSX lisible" in response.text
    assert not ImportBatch.objects.exists()


def test_products_upload_from_catalogue(owner_client, organisation):
    upload(owner_client, data=b"Designation;Prix\nConseil;650\n", name="articles.csv", kind="articles")
    batch = ImportBatch.objects.get()

    response = post_batch(owner_client, batch, "import")

    assert response["Location"] == reverse("catalogue:list")
    assert Product.objects.get(organisation=organisation).name == "Conseil"


def test_unknown_kind_is_not_found(owner_client, organisation):
    assert owner_client.get(reverse("imports:upload", args=["factures"])).status_code == 404


def test_other_organisation_batch_is_not_found(owner_client, organisation, other_organisation):
    batch = ImportBatch.objects.create(
        organisation=other_organisation, kind="clients", filename="clients.csv", data=CUSTOMERS_CSV, mapping={"name": 0}
    )

    assert owner_client.get(reverse("imports:batch", args=[batch.pk])).status_code == 404
    assert post_batch(owner_client, batch, "import_valid").status_code == 404
    assert not Customer.objects.filter(organisation=organisation).exists()


def test_list_pages_link_to_import(owner_client, organisation):
    assert reverse("imports:upload", args=["clients"]) in owner_client.get(reverse("customers:list")).text
    assert reverse("imports:upload", args=["articles"]) in owner_client.get(reverse("catalogue:list")).text
