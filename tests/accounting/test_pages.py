"""The accounting page: FEC download, FEC check, and the chart of accounts, scoped to the organisation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ardoise.accounting import fec
from ardoise.accounting.models import AccountingSettings, CustomerAccount, ProductAccount, VatRateAccounts
from ardoise.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def chart_data(**changes):
    data = {
        "settings-fiscal_year_end_month": "12",
        "settings-sales_journal": "VE",
        "settings-sales_journal_label": "Ventes",
        "settings-bank_journal": "BQ",
        "settings-bank_journal_label": "Banque",
        "settings-customer_account": "411",
        "settings-service_revenue_account": "706",
        "settings-goods_revenue_account": "707",
        "settings-vat_account": "44571",
        "settings-bank_account": "512",
        "settings-bank_fees_account": "627",
        "settings-rounding_gain_account": "758",
        "settings-rounding_loss_account": "658",
    }
    for prefix in ("rates", "products", "customers"):
        data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(changes)
    return data


def test_page_offers_years_with_documents(owner_client, autumn, today):
    response = owner_client.get(reverse("accounting:index"))

    assert response.status_code == 200
    assert [year for year, _label in response.context["export_form"].fields["year"].choices] == [2026]
    assert "Télécharger le FEC" in response.text


def test_download_fec(member_client, autumn, today):
    response = member_client.post(reverse("accounting:export"), {"year": "2026", "encoding": "iso-8859-15"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="732829320FEC20261231.txt"'
    assert fec.check(response.content, "732829320FEC20261231.txt").ok
    assert "Cabinet Durand & Associés".encode("iso-8859-15") in response.content
    assert AuditEntry.objects.filter(action="fec.exported").count() == 1


def test_download_without_siren_explains(owner_client, autumn, today):
    autumn.organisation.siren = ""
    autumn.organisation.save()

    response = owner_client.post(reverse("accounting:export"), {"year": "2026", "encoding": "utf-8"})

    assert response.status_code == 400
    assert "renseignez-le dans les paramètres de l&#x27;entreprise" in response.text


def test_download_refuses_unknown_year(owner_client, autumn, today):
    response = owner_client.post(reverse("accounting:export"), {"year": "1999", "encoding": "utf-8"})

    assert response.status_code == 400
    assert "Exercice 1999 inconnu" in response.text


def test_check_upload_lists_problems(owner_client, organisation):
    upload = SimpleUploadedFile("export.txt", b"JournalCode\tJournalLib\n")

    response = owner_client.post(reverse("accounting:check"), {"file": upload})

    assert response.status_code == 200
    assert "export.txt : 2 problèmes." in response.text
    assert "Nom de fichier « export.txt » non conforme" in response.text


def test_check_upload_of_exported_file(owner_client, autumn, today):
    content = owner_client.post(reverse("accounting:export"), {"year": "2026", "encoding": "utf-8"}).content
    upload = SimpleUploadedFile("732829320FEC20261231.txt", content)

    response = owner_client.post(reverse("accounting:check"), {"file": upload})

    assert "732829320FEC20261231.txt est conforme : 16 écriture(s)" in response.text


def test_check_without_file_is_refused(owner_client, organisation):
    response = owner_client.post(reverse("accounting:check"), {})

    assert response.status_code == 400
    assert "Ce champ est obligatoire" in response.text


def test_owner_saves_chart(owner_client, organisation, product, customer):
    data = chart_data(
        **{
            "settings-customer_account": "411000",
            "rates-0-rate": "10",
            "rates-0-service_revenue_account": "7062",
            "rates-0-vat_account": "445712",
            "products-0-product": str(product.pk),
            "products-0-revenue_account": "70611",
            "customers-0-customer": str(customer.pk),
            "customers-0-code": "CMARTIN",
        }
    )

    response = owner_client.post(reverse("accounting:chart"), data)

    assert response.status_code == 302
    assert AccountingSettings.objects.get(organisation=organisation).customer_account == "411000"
    assert VatRateAccounts.objects.get(organisation=organisation).vat_account == "445712"
    assert ProductAccount.objects.get(product=product).revenue_account == "70611"
    assert CustomerAccount.objects.get(customer=customer).code == "CMARTIN"
    assert AuditEntry.objects.filter(action="accounting.settings_updated").count() == 1


def test_chart_refuses_bad_account_number(owner_client, organisation):
    response = owner_client.post(reverse("accounting:chart"), chart_data(**{"settings-vat_account": "445 71"}))

    assert response.status_code == 400
    assert "Un numéro de compte s&#x27;écrit avec des chiffres et des lettres, sans espace" in response.text
    assert not AccountingSettings.objects.exclude(vat_account="44571").exists()


def test_chart_refuses_same_rate_twice(owner_client, organisation):
    data = chart_data(
        **{
            "rates-TOTAL_FORMS": "2",
            "rates-0-rate": "10",
            "rates-0-vat_account": "445712",
            "rates-1-rate": "10.00",
            "rates-1-vat_account": "445713",
        }
    )

    response = owner_client.post(reverse("accounting:chart"), data)

    assert response.status_code == 400
    assert "« 10 » figure sur deux lignes" in response.text
    assert not VatRateAccounts.objects.exists()


def test_chart_offers_only_own_products(owner_client, organisation, other_organisation, product):
    from ardoise.catalogue.models import Product

    foreign = Product.objects.create(organisation=other_organisation, name="Produit du concurrent", unit_price=1)

    response = owner_client.get(reverse("accounting:chart"))
    rejected = owner_client.post(
        reverse("accounting:chart"),
        chart_data(**{"products-0-product": str(foreign.pk), "products-0-revenue_account": "706"}),
    )

    assert "Produit du concurrent" not in response.text
    assert rejected.status_code == 400
    assert not ProductAccount.objects.exists()


def test_member_reads_chart_but_cannot_change_it(member_client, organisation):
    page = member_client.get(reverse("accounting:chart"))
    response = member_client.post(reverse("accounting:chart"), chart_data(**{"settings-vat_account": "445700"}))

    assert page.status_code == 200
    assert "Seul le propriétaire de l'entreprise peut modifier ces comptes." in page.text
    assert response.status_code == 302
    assert not AccountingSettings.objects.filter(vat_account="445700").exists()


def test_outsider_never_gets_another_fec(outsider_client, autumn, today):
    response = outsider_client.post(reverse("accounting:export"), {"year": "2026", "encoding": "utf-8"})

    assert response.status_code == 200
    assert b"Boulangerie" not in response.content
    assert response["Content-Disposition"].startswith('attachment; filename="')


def test_journal_csv_for_a_month(member_client, autumn, today):
    response = member_client.post(
        reverse("accounting:journal"), {"start": "2026-11-01", "end": "2026-11-30", "format": "csv"}
    )
    lines = response.content.decode("utf-8-sig").splitlines()

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ecritures-2026-11-01-2026-11-30.csv"'
    assert lines[0].startswith("Journal;Date;N° d'écriture;Pièce;Compte;")
    assert lines[1].startswith("VE;02/11/2026;VE000001;F-2026-0004;411;Clients;C")
    assert all(";2026" not in line.split(";")[1] for line in lines[1:])


def test_journal_xlsx_has_numbers(owner_client, autumn, today):
    import io

    import openpyxl

    response = owner_client.post(
        reverse("accounting:journal"), {"start": "2026-01-01", "end": "2026-12-31", "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0][0] == "Journal"
    assert sum(row[8] or 0 for row in rows[1:]) == sum(row[9] or 0 for row in rows[1:])


def test_journal_refuses_reversed_dates(owner_client, organisation):
    response = owner_client.post(
        reverse("accounting:journal"), {"start": "2026-12-01", "end": "2026-11-01", "format": "csv"}
    )

    assert response.status_code == 400
    assert "La date de fin est avant la date de début" in response.text
