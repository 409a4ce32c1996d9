"""``ardoise bank import`` and ``ardoise bank list`` from the command line."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from ardoise.banking.management.commands.bank import Command as BankCommand
from ardoise.banking.models import BankAccount, BankTransaction
from tests.banking.conftest import FILES, ORGANISATION_IBAN, make_customer, make_invoice

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    output = io.StringIO()
    call_command("bank", *args, stdout=output)
    return output.getvalue()


def test_import_prints_imported_matched_and_proposed(organisation, martin):
    make_invoice(martin, "1065.00")
    make_invoice(make_customer(organisation, "Jean Durand"), "250.00")

    output = run("import", str(FILES / "camt053_decembre.xml"))

    assert output == "5 opérations importées, 1 rapprochée, 2 proposées.\n"
    assert BankTransaction.objects.count() == 5


def test_import_counts_proposals(organisation, martin):
    make_invoice(martin, "1100.00")
    make_invoice(martin, "250.00")

    output = run("import", str(FILES / "camt053_decembre.xml"))

    assert output.startswith("5 opérations importées, ")
    assert "2 proposées." in output


def test_import_twice_says_already_imported(organisation):
    run("import", str(FILES / "camt053_decembre.xml"))

    output = run("import", str(FILES / "camt053_decembre.xml"))

    assert "Ce relevé a déjà été importé le 10/12/2026 dans le compte « Compte courant Atelier Dupont »" in output
    assert BankTransaction.objects.count() == 5


def test_csv_import_into_new_account_named_by_iban(organisation):
    output = run(
        "import", str(FILES / "csv_credit_agricole_cp1252.csv"), "--account", "FR76 3000 6000 0112 3456 7890 189"
    )

    account = BankAccount.objects.get()
    assert account.iban == ORGANISATION_IBAN
    assert account.name == "Compte …0189"
    assert output.startswith("5 opérations importées")


def test_csv_import_needs_an_account(organisation):
    with pytest.raises(CommandError, match="créez d'abord le compte"):
        run("import", str(FILES / "csv_credit_agricole_cp1252.csv"))


def test_organisation_option_picks_the_organisation(organisation, other_organisation):
    run("--organisation", other_organisation.siren, "import", str(FILES / "ofx2_banque_populaire.ofx"))

    assert BankTransaction.objects.get(amount=Decimal("1200.00")).organisation == other_organisation


def test_list_shows_ids_states_and_filters(organisation):
    run("import", str(FILES / "ofx2_banque_populaire.ofx"))
    credit = BankTransaction.objects.get(amount=Decimal("1200.00"))

    output = run("list", "--state", "unmatched")

    lines = output.splitlines()
    assert lines[1] == "%s\t06/12/2026\t1\u202f200,00\u00a0€\tÀ rapprocher\tVIR SEPA CAFE DES ARTS" % credit.pk
    assert run("list", "--state", "matched") == "Aucune opération bancaire.\n"


def test_bad_file_exits_non_zero_with_french_message(organisation, tmp_path):
    bad = tmp_path / "vide.csv"
    bad.write_bytes(b"")
    errors = io.StringIO()
    command = BankCommand(stdout=io.StringIO(), stderr=errors)
    command._called_from_command_line = True

    with pytest.raises(SystemExit) as exit_info:
        command.execute(
            action="import",
            file=str(bad),
            account=None,
            organisation=None,
            traceback=False,
            no_color=True,
            force_color=False,
            skip_checks=True,
        )

    assert exit_info.value.code == 1
    assert errors.getvalue().startswith("Erreur : Le fichier « vide.csv » est vide.")
    assert not BankTransaction.objects.exists()
