"""Importing statements: accounts picked or created, transactions stored once, counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ardoise.audit.models import AuditEntry
from ardoise.banking.models import BankAccount, BankTransaction, CsvMapping, StatementImport, TransactionState
from ardoise.banking.services import ImportSummary, import_statement, summary_text
from ardoise.banking.statements import StatementFileError
from tests.banking.conftest import ORGANISATION_IBAN, import_sample, sample

pytestmark = pytest.mark.django_db


def test_camt_import_creates_account_named_by_statement(organisation):
    summary = import_sample(organisation, "camt053_decembre.xml")

    account = BankAccount.objects.get()
    assert account.iban == ORGANISATION_IBAN
    assert account.name == "Compte courant Atelier Dupont"
    assert account.organisation == organisation
    assert summary.imported == 5
    statement = StatementImport.objects.get()
    assert statement.period_start == datetime.date(2026, 12, 7)
    assert statement.period_end == datetime.date(2026, 12, 8)
    assert statement.transaction_count == 5
    assert statement.format == "camt053"
    assert len(statement.sha256) == 64


def test_camt_transactions_keep_signed_amounts_and_texts(organisation):
    import_sample(organisation, "camt053_decembre.xml")

    amounts = sorted(BankTransaction.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("-45.90"), Decimal("250.00"), Decimal("420.00"), Decimal("1065.00"), Decimal("1200.00")]
    first = BankTransaction.objects.get(bank_id="2026120700001")
    assert first.counterparty_name == "BOULANGERIE MARTIN"
    assert first.counterparty_iban == "FR1420041010050500013M02606"
    assert first.remittance == "REGLEMENT FACTURE F 2026 0001 MERCI"
    assert first.value_date == datetime.date(2026, 12, 7)


def test_same_file_twice_creates_nothing_twice(organisation):
    import_sample(organisation, "camt053_decembre.xml")

    again = import_sample(organisation, "camt053_decembre.xml")

    assert again.imported == 0
    assert [item.file_name for item in again.already_imported] == ["camt053_decembre.xml"]
    assert BankTransaction.objects.count() == 5
    assert StatementImport.objects.count() == 1
    assert BankAccount.objects.count() == 1


def test_overlapping_file_adds_only_new_transactions(organisation):
    import_sample(organisation, "camt053_decembre.xml")
    # Another export of the same day: other bytes, the same bank references.
    data = sample("camt053_decembre.xml").replace(b"RELEVE-20261209-0001", b"RELEVE-20261209-0002")

    summary = import_statement(organisation, data, "camt053_bis.xml")

    assert summary.imported == 0
    assert summary.duplicates == 5
    assert BankTransaction.objects.count() == 5
    assert "5 opérations déjà importées n'ont pas été reprises." in summary_text(summary)


def test_identical_same_day_payments_kept(organisation):
    account = BankAccount.objects.create(organisation=organisation, name="Compte pro", iban=ORGANISATION_IBAN)

    import_sample(organisation, "csv_credit_agricole_cp1252.csv", account=account)
    again = import_statement(
        organisation, sample("csv_credit_agricole_cp1252.csv") + b"\r\n", "copie.csv", account=account
    )

    coffees = BankTransaction.objects.filter(amount=Decimal("-4.50"))
    assert coffees.count() == 2
    assert again.imported == 0
    assert again.duplicates == 5


def test_ofx_rebuilds_iban_from_french_account_number(organisation):
    import_sample(organisation, "ofx1_credit_lyonnais_latin1.ofx")

    account = BankAccount.objects.get()
    assert account.iban == ORGANISATION_IBAN
    labels = list(BankTransaction.objects.order_by("booking_date", "id").values_list("label", flat=True))
    assert labels[1] == "CB CAFÉ DE LA GARE 03/12"
    assert labels[3] == "VIR M OU MME LEFÈVRE"


def test_ofx_into_named_account_picks_existing_account(organisation):
    existing = BankAccount.objects.create(organisation=organisation, name="Banque Populaire", iban="")
    existing.number = "30004 00003 00012345678"
    existing.iban = "FR7630004000030001234567897"
    existing.save()

    import_sample(organisation, "ofx2_banque_populaire.ofx")

    assert BankAccount.objects.count() == 1
    assert BankTransaction.objects.filter(account=existing).count() == 2


def test_statement_of_another_account_is_refused(organisation):
    other = BankAccount.objects.create(organisation=organisation, name="Livret", iban="FR7630004000031234567890143")

    with pytest.raises(StatementFileError, match="est le relevé du compte FR76 3000 6000 0112 3456 7890 189"):
        import_sample(organisation, "camt053_decembre.xml", account=other)
    assert not BankTransaction.objects.exists()


def test_csv_goes_to_only_account_and_saves_layout(organisation):
    account = BankAccount.objects.create(organisation=organisation, name="Compte pro", iban=ORGANISATION_IBAN)

    summary = import_sample(organisation, "csv_societe_generale_utf8_bom.csv")

    assert summary.imported == 3
    assert BankTransaction.objects.filter(account=account).count() == 3
    mapping = CsvMapping.objects.get(account=account)
    assert (mapping.date_column, mapping.label_column, mapping.amount_column) == (1, 2, 4)
    assert mapping.skip_rows == 1


def test_csv_read_as_empty_with_saved_layout_is_refused_and_not_blocked(organisation):
    account = BankAccount.objects.create(organisation=organisation, name="Compte pro", iban=ORGANISATION_IBAN)
    CsvMapping.objects.create(
        account=account, delimiter=";", date_column=1, label_column=2, amount_column=4, skip_rows=40
    )

    with pytest.raises(StatementFileError, match="Aucune opération n'a pu être lue") as caught:
        import_sample(organisation, "csv_societe_generale_utf8_bom.csv")

    assert "40 ligne(s) sautée(s)" in caught.value.message
    assert not StatementImport.objects.exists()
    CsvMapping.objects.filter(account=account).update(skip_rows=1)
    assert import_sample(organisation, "csv_societe_generale_utf8_bom.csv").imported == 3


def test_csv_without_account_asks_to_create_one(organisation):
    with pytest.raises(StatementFileError, match="créez d'abord le compte"):
        import_sample(organisation, "csv_societe_generale_utf8_bom.csv")


def test_csv_with_several_accounts_asks_which(organisation):
    BankAccount.objects.create(organisation=organisation, name="A", iban=ORGANISATION_IBAN)
    BankAccount.objects.create(organisation=organisation, name="B", iban="FR7630004000031234567890143")

    with pytest.raises(StatementFileError, match="choisissez le compte"):
        import_sample(organisation, "csv_societe_generale_utf8_bom.csv")


def test_debits_are_listed_not_matched(organisation):
    import_sample(organisation, "camt053_decembre.xml")

    debit = BankTransaction.objects.get(amount=Decimal("-45.90"))
    assert debit.state == TransactionState.UNMATCHED
    assert debit.receipt is None


def test_import_is_audited(organisation, owner):
    import_sample(organisation, "camt053_decembre.xml", user=owner)

    entry = AuditEntry.objects.get(action="bank.statement_imported")
    assert entry.user == owner
    assert entry.data["imported"] == 5
    assert entry.data["file"] == "camt053_decembre.xml"


def test_summary_counts_singular_and_plural():
    summary = ImportSummary(imports=[StatementImport(transaction_count=2, matched_count=1, proposed_count=1)])

    assert summary_text(summary) == "2 opérations importées, 1 rapprochée, 1 proposée."
