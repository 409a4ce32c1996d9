"""Bank pages: import (with the CSV column step), transaction list and actions, manual matching, accounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ardoise.banking.models import (
    BankAccount,
    BankTransaction,
    CsvMapping,
    StatementImport,
    StatementUpload,
    TransactionState,
)
from ardoise.payments.services import customer_credit
from tests.banking.conftest import ORGANISATION_IBAN, import_sample, make_invoice, sample

pytestmark = pytest.mark.django_db


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample(name) if content is None else content)


def page_text(response) -> str:
    return response.content.decode()


def assert_no_inline_style_or_script(text: str) -> None:
    """The strict CSP blocks inline styles and scripts: the pages must not need any."""
    assert " style=" not in text
    assert "onclick" not in text
    assert "<script>" not in text


@pytest.fixture
def account(organisation):
    return BankAccount.objects.create(organisation=organisation, name="Compte pro", iban=ORGANISATION_IBAN)


def test_navigation_links_to_bank(owner_client):
    response = owner_client.get(reverse("dashboard:home"))

    assert 'href="/banque/"' in page_text(response)
    assert ">Banque</a>" in page_text(response)


def test_empty_bank_page_invites_to_import(owner_client):
    response = owner_client.get(reverse("banking:transactions"))

    assert response.status_code == 200
    assert "Aucun relevé importé pour l'instant" in page_text(response)


def test_camt_upload_imports_and_shows_statement(owner_client, martin):
    make_invoice(martin, "1065.00")

    response = owner_client.post(reverse("banking:import"), {"file": upload("camt053_decembre.xml")}, follow=True)

    statement = StatementImport.objects.get()
    assert response.redirect_chain[-1][0] == statement.get_absolute_url()
    text = page_text(response)
    assert "5 opérations importées, 1 rapprochée" in text
    assert "VIR SEPA RECU /DE BOULANGERIE MARTIN" in text
    assert "F-2026-0001" in text
    assert_no_inline_style_or_script(text)


def test_same_upload_twice_says_already_imported(owner_client):
    owner_client.post(reverse("banking:import"), {"file": upload("camt053_decembre.xml")})

    response = owner_client.post(reverse("banking:import"), {"file": upload("camt053_decembre.xml")}, follow=True)

    assert "Ce relevé a déjà été importé le 10/12/2026" in page_text(response)
    assert BankTransaction.objects.count() == 5


def test_csv_upload_goes_through_column_step(owner_client, account, martin):
    make_invoice(martin, "1065.00")

    response = owner_client.post(
        reverse("banking:import"), {"file": upload("csv_credit_agricole_cp1252.csv"), "account": account.pk}
    )

    pending = StatementUpload.objects.get()
    assert response.url == reverse("banking:import_columns", kwargs={"upload_pk": pending.pk})
    assert not BankTransaction.objects.exists()

    page = owner_client.get(response.url)
    text = page_text(page)
    assert "Débit euros" in text
    assert "PAIEMENT PAR CARTE CAFÉ DE LA GARE 03/12" in text  # the preview, with the guessed columns
    assert_no_inline_style_or_script(text)

    form = {
        "delimiter": "semicolon",
        "encoding": "",
        "skip_rows": "8",
        "has_header": "on",
        "date_format": "%d/%m/%Y",
        "decimal_comma": "on",
        "date_column": "1",
        "label_column": "2",
        "debit_column": "3",
        "credit_column": "4",
        "action": "import",
    }
    imported = owner_client.post(response.url, form, follow=True)

    assert "5 opérations importées, 1 rapprochée" in page_text(imported)
    assert BankTransaction.objects.filter(account=account).count() == 5
    assert not StatementUpload.objects.exists()
    mapping = CsvMapping.objects.get(account=account)
    assert (mapping.debit_column, mapping.credit_column, mapping.skip_rows) == (3, 4, 8)


def test_column_step_with_wrong_date_format_imports_nothing(owner_client, account):
    response = owner_client.post(
        reverse("banking:import"), {"file": upload("csv_societe_generale_utf8_bom.csv"), "account": account.pk}
    )
    form = {
        "delimiter": "semicolon",
        "skip_rows": "1",
        "has_header": "on",
        "date_format": "%Y-%m-%d",
        "decimal_comma": "on",
        "date_column": "1",
        "label_column": "2",
        "amount_column": "4",
        "action": "import",
    }

    page = owner_client.post(response.url, form)

    assert page.status_code == 200
    assert "Ligne 3 : date « 03/12/2026 » invalide (format attendu AAAA-MM-JJ)" in page_text(page)
    assert not BankTransaction.objects.exists()
    assert not CsvMapping.objects.exists()
    assert StatementUpload.objects.count() == 1


def test_column_step_requires_date_label_and_amount(owner_client, account):
    response = owner_client.post(
        reverse("banking:import"), {"file": upload("csv_societe_generale_utf8_bom.csv"), "account": account.pk}
    )
    form = {"delimiter": "semicolon", "skip_rows": "1", "date_format": "%d/%m/%Y", "action": "import"}

    page = owner_client.post(response.url, form)

    text = page_text(page)
    assert "Choisissez la colonne de la date de l&#x27;opération." in text
    assert "Choisissez la colonne du montant, ou celles du débit et du crédit." in text
    assert not BankTransaction.objects.exists()


def test_csv_with_saved_columns_is_imported_at_once(owner_client, organisation, account):
    import_sample(organisation, "csv_societe_generale_utf8_bom.csv", account=account)
    other = sample("csv_societe_generale_utf8_bom.csv").replace(b"05/12/2026", b"06/12/2026")

    response = owner_client.post(
        reverse("banking:import"), {"file": upload("suivant.csv", other), "account": account.pk}, follow=True
    )

    assert "1 opération importée" in page_text(response)
    assert not StatementUpload.objects.exists()


def test_bad_csv_line_returns_to_columns(owner_client, organisation, account):
    import_sample(organisation, "csv_societe_generale_utf8_bom.csv", account=account)
    bad = sample("csv_societe_generale_utf8_bom.csv").replace(b";360,00;", b";36O,00;")

    response = owner_client.post(
        reverse("banking:import"), {"file": upload("mauvais.csv", bad), "account": account.pk}, follow=True
    )

    assert "Ligne 5 : montant « 36O,00 » illisible" in page_text(response)
    assert BankTransaction.objects.count() == 3
    assert StatementUpload.objects.count() == 1


def test_list_filters_by_state(owner_client, organisation, martin):
    make_invoice(martin, "1065.00")
    import_sample(organisation, "camt053_decembre.xml")

    response = owner_client.get(reverse("banking:transactions"), {"etat": "matched"})

    text = page_text(response)
    assert "Rapprochée (1)" in text
    assert "À rapprocher (4)" in text
    assert "BOULANGERIE MARTIN" in text
    assert "PRLV SEPA ORANGE" not in text
    assert_no_inline_style_or_script(text)


def test_confirm_and_undo_buttons(owner_client, organisation, martin):
    invoice = make_invoice(martin, "1065.00")
    import_sample(organisation, "camt053_decembre.xml")
    transaction = BankTransaction.objects.get(bank_id="2026120700001")
    transaction_url = reverse("banking:transaction", kwargs={"pk": transaction.pk})

    undone = owner_client.post(reverse("banking:undo", kwargs={"pk": transaction.pk}), follow=True)
    assert "Rapprochement annulé" in page_text(undone)
    assert invoice.balance() == Decimal("1065.00")

    owner_client.post(
        reverse("banking:match", kwargs={"pk": transaction.pk}), {"customer": martin.pk, "invoices": [invoice.pk]}
    )
    assert BankTransaction.objects.get(pk=transaction.pk).state == TransactionState.MATCHED
    assert invoice.balance() == Decimal("0.00")
    assert "Rapprochement manuel" in page_text(owner_client.get(transaction_url))


def test_confirm_button_records_proposal(owner_client, organisation, martin):
    invoice = make_invoice(martin, "1100.00")
    import_sample(organisation, "camt053_decembre.xml")
    transaction = BankTransaction.objects.get(bank_id="2026120700001")
    assert transaction.state == TransactionState.PROPOSED

    response = owner_client.post(
        reverse("banking:confirm", kwargs={"pk": transaction.pk}),
        {"next": reverse("banking:transactions") + "?etat=proposed"},
    )

    assert response.url == reverse("banking:transactions") + "?etat=proposed"
    assert invoice.balance() == Decimal("35.00")


def test_confirm_redirect_ignores_foreign_next(owner_client, organisation, martin):
    make_invoice(martin, "1100.00")
    import_sample(organisation, "camt053_decembre.xml")
    transaction = BankTransaction.objects.get(bank_id="2026120700001")

    response = owner_client.post(
        reverse("banking:confirm", kwargs={"pk": transaction.pk}), {"next": "https://example.com/"}
    )

    assert response.url == transaction.get_absolute_url()


def test_ignore_and_restore_buttons(owner_client, organisation):
    import_sample(organisation, "camt053_decembre.xml")
    fees = BankTransaction.objects.get(amount=Decimal("-45.90"))

    owner_client.post(reverse("banking:ignore", kwargs={"pk": fees.pk}))
    assert BankTransaction.objects.get(pk=fees.pk).state == TransactionState.IGNORED
    owner_client.post(reverse("banking:restore", kwargs={"pk": fees.pk}))
    assert BankTransaction.objects.get(pk=fees.pk).state == TransactionState.UNMATCHED


def test_manual_match_page_lists_customer_open_invoices(owner_client, organisation, martin):
    invoice = make_invoice(martin, "300.00")
    import_sample(organisation, "camt053_decembre.xml")
    transaction = BankTransaction.objects.get(amount=Decimal("250.00"))

    response = owner_client.get(reverse("banking:match", kwargs={"pk": transaction.pk}), {"client": martin.pk})

    text = page_text(response)
    assert invoice.number in text
    assert "300,00" in text
    assert_no_inline_style_or_script(text)

    owner_client.post(reverse("banking:match", kwargs={"pk": transaction.pk}), {"customer": martin.pk})
    assert customer_credit(martin) == Decimal("250.00")


def test_manual_match_refuses_another_organisations_customer(owner_client, organisation, other_organisation):
    from tests.banking.conftest import make_customer

    stranger = make_customer(other_organisation, "Client d'un autre")
    import_sample(organisation, "camt053_decembre.xml")
    transaction = BankTransaction.objects.get(amount=Decimal("250.00"))

    response = owner_client.post(reverse("banking:match", kwargs={"pk": transaction.pk}), {"customer": stranger.pk})

    assert response.status_code == 200
    assert BankTransaction.objects.get(pk=transaction.pk).state == TransactionState.UNMATCHED


def test_account_create_edit_and_columns(owner_client, organisation):
    owner_client.post(reverse("banking:accounts"), {"name": "Compte pro", "iban": "FR76 3000 6000 0112 3456 7890 189"})
    account = BankAccount.objects.get()
    assert account.iban == ORGANISATION_IBAN

    duplicate = owner_client.post(reverse("banking:accounts"), {"name": "Doublon", "iban": ORGANISATION_IBAN})
    assert "Un autre compte a déjà l&#x27;IBAN « FR76 3000 6000 0112 3456 7890 189 »." in page_text(duplicate)

    owner_client.post(reverse("banking:account", kwargs={"account_pk": account.pk}), {"name": "Compte courant"})
    assert BankAccount.objects.get().name == "Compte courant"

    columns_url = reverse("banking:account_columns", kwargs={"account_pk": account.pk})
    columns = {
        "delimiter": "tab",
        "skip_rows": "0",
        "date_format": "%d/%m/%Y",
        "decimal_comma": "on",
        "date_column": "1",
        "amount_column": "2",
        "label_column": "5",
    }
    owner_client.post(columns_url, columns)
    mapping = CsvMapping.objects.get(account=account)
    assert mapping.delimiter == "\t"
    assert mapping.has_header is False

    both = owner_client.post(columns_url, {**columns, "debit_column": "3"})
    assert "pas les deux" in page_text(both)


def test_member_can_use_bank_pages(member_client):
    assert member_client.get(reverse("banking:transactions")).status_code == 200
    assert member_client.get(reverse("banking:import")).status_code == 200


@pytest.mark.parametrize(
    "name",
    ["transactions", "import", "statements", "accounts"],
)
def test_list_pages_show_nothing_of_another_organisation(outsider_client, organisation, name):
    import_sample(organisation, "camt053_decembre.xml")

    response = outsider_client.get(reverse("banking:%s" % name))

    text = page_text(response)
    assert response.status_code == 200
    assert "BOULANGERIE" not in text
    assert "Compte courant Atelier Dupont" not in text
    assert "camt053_decembre.xml" not in text
