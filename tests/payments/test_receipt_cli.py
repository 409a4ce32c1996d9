"""``ardoise payment`` subcommands for receipts and customer credit."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from ardoise.customers.models import Customer
from ardoise.payments.management.commands.payment import Command
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.payments.services import customer_credit, receive_payment, record_payment, refund_credit
from tests.payments.test_receipts import make_invoice

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime.date(2026, 12, 10)
NBSP = "\u00a0"


def run(*args: str) -> str:
    output = io.StringIO()
    call_command("payment", *args, stdout=output)
    return output.getvalue()


def euros(amount: str) -> str:
    return amount + NBSP + "€"


@pytest.fixture(autouse=True)
def frozen_day():
    # 00:30 in Paris is still 9 December in UTC: the default date must be the Paris one.
    with time_machine.travel(datetime.datetime(2026, 12, 10, 0, 30, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def invoices(customer):
    """Invoices of 120,00 € and 60,00 € TTC, the first one due first."""
    first = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 10, 1))
    second = make_invoice(customer, "50.00", issued_on=datetime.date(2026, 11, 1))
    return first, second


# receive


def test_receive_splits_oldest_due_first(customer, invoices):
    first, second = invoices

    output = run("receive", "--customer", str(customer.pk), "200,00")

    receipt = Receipt.objects.get()
    assert receipt.date == DAY
    assert output.splitlines() == [
        "Encaissement n° %s enregistré : %s de Boulangerie Martin SAS." % (receipt.pk, euros("200,00")),
        "%s\t%s\treste à payer %s (Payée)" % (first.number, euros("120,00"), euros("0,00")),
        "%s\t%s\treste à payer %s (Payée)" % (second.number, euros("60,00"), euros("0,00")),
        "%s gardés en crédit pour le client." % euros("20,00"),
        "Crédit client de Boulangerie Martin SAS : %s." % euros("20,00"),
    ]


def test_receive_with_explicit_allocations(customer, invoices):
    first, second = invoices

    output = run(
        "receive",
        "--customer",
        str(customer.pk),
        "1 000,00",
        "--date",
        "2026-12-09",
        "--method",
        "cheque",
        "--reference",
        "Chèque 0042",
        "--fees",
        "0,80",
        "--allocate",
        "%s=120" % first.number,
        "--allocate",
        "%s=45,50" % second.number,
    )

    receipt = Receipt.objects.get()
    assert (receipt.amount, receipt.bank_fees, receipt.method, receipt.reference, receipt.date) == (
        Decimal("1000.00"),
        Decimal("0.80"),
        "cheque",
        "Chèque 0042",
        datetime.date(2026, 12, 9),
    )
    assert "%s\t%s\treste à payer %s" % (second.number, euros("45,50"), euros("14,50")) in output
    assert customer_credit(customer) == Decimal("834.50")


def test_receive_by_siren(customer, invoices):
    run("receive", "--customer", "552 081 317", "120")

    assert Receipt.objects.get().customer == customer


def test_receive_no_allocate_keeps_everything_as_credit(customer, invoices):
    output = run("receive", "--customer", str(customer.pk), "50", "--no-allocate")

    assert not Payment.objects.exists()
    assert "Crédit client de Boulangerie Martin SAS : %s." % euros("50,00") in output


def test_receive_allocate_options_exclusive(customer, invoices):
    first, _second = invoices

    with pytest.raises(
        CommandError, match=re.escape("Les options --allocate et --no-allocate s'excluent : gardez-en une.")
    ):
        run("receive", "--customer", str(customer.pk), "50", "--no-allocate", "--allocate", "%s=10" % first.number)
    assert not Receipt.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["12,5O"], "Montant « 12,5O » invalide : écrivez-le comme 1234.56 ou 1234,56."),
        (["12,345"], "Montant « 12,345 » invalide : deux décimales au plus."),
        (["0"], "Le montant doit être positif (0,00\u00a0€ saisi)."),
        (
            ["100", "--date", "10-12-2026"],
            "--date : date « 10-12-2026 » invalide, écrivez-la AAAA-MM-JJ ou JJ/MM/AAAA, par exemple 2026-12-04.",
        ),
        (
            ["100", "--date", "2026-12-11"],
            "La date du paiement (11/12/2026) est dans le futur : enregistrez le paiement une fois reçu.",
        ),
        (
            ["100", "--fees", "100"],
            "Les frais bancaires (100,00\u00a0€) doivent être positifs et inférieurs au montant reçu (100,00\u00a0€).",
        ),
        (["100", "--fees", "1,O"], "Montant --fees « 1,O » invalide : écrivez-le comme 1234.56 ou 1234,56."),
        (["100", "--allocate", "F-2026-0001"], "--allocate « F-2026-0001 » invalide"),
        (["100", "--allocate", "F-2099-0001=10"], "Aucune facture émise n° « F-2099-0001 »."),
        (
            ["100", "--allocate", "F-2026-0001=abc"],
            "Montant --allocate F-2026-0001 « abc » invalide : écrivez-le comme 1234.56 ou 1234,56.",
        ),
        (
            ["500", "--allocate", "F-2026-0001=120,01"],
            "120,01\u00a0€ dépasse le reste à payer de la facture F-2026-0001 (120,00\u00a0€).",
        ),
        (
            ["150", "--allocate", "F-2026-0001=120", "--allocate", "F-2026-0002=40"],
            "Les montants affectés aux factures (160,00\u00a0€) dépassent le montant reçu (150,00\u00a0€).",
        ),
        (
            ["100", "--currency", "EURO"],
            "Devise « EURO » inconnue : indiquez un code ISO 4217, par exemple EUR ou USD.",
        ),
        (["100", "--reference", "x" * 141], "La référence fait 141 caractères : 140 au plus. Raccourcissez-la."),
    ],
)
def test_receive_bad_input_in_french(customer, invoices, arguments, message):
    with pytest.raises(CommandError) as caught:
        run("receive", "--customer", str(customer.pk), *arguments)

    assert message in str(caught.value)
    assert not Receipt.objects.exists()


def test_receive_for_unknown_customer_names_it(invoices):
    with pytest.raises(CommandError, match="Aucun client d'identifiant ou de SIREN « 999 »"):
        run("receive", "--customer", "999", "10")


def test_receive_for_another_organisations_customer_is_not_found(customer, other_organisation):
    with pytest.raises(CommandError, match="Aucun client"):
        call_command(
            "payment", "--organisation", str(other_organisation.pk), "receive", "--customer", str(customer.pk), "10"
        )
    assert not Receipt.objects.exists()


def test_receive_refuses_another_customers_invoice(customer, organisation, invoices):
    other = Customer.objects.create(organisation=organisation, name="Fromagerie Roux", email="a@roux.fr")
    first, _second = invoices

    with pytest.raises(CommandError, match="n'est pas une facture du client Fromagerie Roux"):
        run("receive", "--customer", str(other.pk), "120", "--allocate", "%s=120" % first.number)


def test_errors_exit_one_on_stderr(customer, invoices):
    stderr = io.StringIO()
    command = Command(stdout=io.StringIO(), stderr=stderr)

    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["ardoise", "payment", "receive", "--customer", str(customer.pk), "12,5O"])

    assert exited.value.code == 1
    assert "Erreur : Montant « 12,5O » invalide" in stderr.getvalue()


def test_usage_errors_exit_with_code_two(customer, capsys):
    command = Command(stdout=io.StringIO(), stderr=io.StringIO())

    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["ardoise", "payment", "receive", "12"])

    assert exited.value.code == 2
    assert "Erreur : Argument obligatoire manquant : --customer." in capsys.readouterr().err


# receipts and cancel-receipt


def test_receipts_lists_ids_amounts_and_states(customer, invoices):
    first, _second = invoices
    settled = receive_payment(
        customer, Decimal("150.00"), DAY, "cheque", "CHQ 1", allocations=[(first, Decimal("120"))]
    )
    cancelled = receive_payment(customer, Decimal("5.00"), DAY, allocations=[])
    run("cancel-receipt", str(cancelled.pk))

    lines = run("receipts").splitlines()

    assert lines[0] == "\t".join(
        [
            str(settled.pk),
            "10/12/2026",
            "Boulangerie Martin SAS",
            "Chèque",
            "CHQ 1",
            euros("150,00"),
            "affecté %s" % euros("120,00"),
            "non affecté %s" % euros("30,00"),
            "enregistré",
        ]
    )
    assert lines[1].endswith("\tannulé")
    assert lines[2].endswith("\tannulation de l'encaissement n° %s" % cancelled.pk)


def test_receipts_of_one_customer(customer, organisation, invoices):
    other = Customer.objects.create(organisation=organisation, name="Fromagerie Roux", email="a@roux.fr")
    receive_payment(customer, Decimal("10.00"), DAY, allocations=[])

    assert run("receipts", "--customer", str(other.pk)) == "Aucun encaissement.\n"
    assert "Boulangerie Martin SAS" in run("receipts", "--customer", str(customer.pk))


def test_cancel_receipt_reverses_its_payments(customer, invoices):
    first, second = invoices
    receipt = receive_payment(customer, Decimal("200.00"), DAY)

    output = run("cancel-receipt", str(receipt.pk))

    reversal = Receipt.objects.get(reverses=receipt)
    assert output.splitlines()[0] == "Encaissement n° %s du 10/12/2026 annulé par l'écriture n° %s." % (
        receipt.pk,
        reversal.pk,
    )
    assert "%s\t-120,00%s€\treste à payer %s" % (first.number, NBSP, euros("120,00")) in output
    assert first.balance() == Decimal("120.00")
    assert second.balance() == Decimal("60.00")
    assert customer_credit(customer) == Decimal("0.00")


def test_cancel_receipt_refused_while_its_credit_is_refunded(customer, invoices):
    receipt = receive_payment(customer, Decimal("200.00"), DAY)
    refund_credit(customer, Decimal("20.00"), DAY)

    with pytest.raises(CommandError, match="annulez d'abord ce remboursement"):
        run("cancel-receipt", str(receipt.pk))


def test_cancel_receipt_twice_is_refused(customer):
    receipt = receive_payment(customer, Decimal("10.00"), DAY, allocations=[])
    run("cancel-receipt", str(receipt.pk))

    with pytest.raises(CommandError, match=re.escape("L'encaissement du 10/12/2026 est déjà annulé.")):
        run("cancel-receipt", str(receipt.pk))


@pytest.mark.parametrize("raw", ["abc", "999"])
def test_cancel_unknown_receipt_names_it(customer, raw):
    with pytest.raises(CommandError, match="Aucun encaissement d'identifiant « %s »" % raw):
        run("cancel-receipt", raw)


def test_cancel_another_organisations_receipt_is_not_found(customer, other_organisation):
    receipt = receive_payment(customer, Decimal("10.00"), DAY, allocations=[])

    with pytest.raises(CommandError, match="Aucun encaissement"):
        call_command("payment", "--organisation", str(other_organisation.pk), "cancel-receipt", str(receipt.pk))
    assert not receipt.is_reversed


# credit, apply-credit, refund-credit


def test_credit_prints_the_credit_per_currency(customer):
    receive_payment(customer, Decimal("12.50"), DAY, allocations=[])
    receive_payment(customer, Decimal("3.00"), DAY, currency="USD", allocations=[])

    assert run("credit", str(customer.pk)).splitlines() == [
        "Crédit client de Boulangerie Martin SAS : %s." % euros("12,50"),
        "Crédit client de Boulangerie Martin SAS : 3,00%sUSD." % NBSP,
    ]


def test_credit_without_credit_prints_zero(customer):
    assert run("credit", str(customer.pk)) == "Crédit client de Boulangerie Martin SAS : %s.\n" % euros("0,00")


def test_apply_credit_settles_the_invoice(customer, invoices):
    first, _second = invoices
    receive_payment(customer, Decimal("50.00"), DAY, allocations=[])

    output = run("apply-credit", first.number)

    assert output.splitlines() == [
        "Crédit client de %s appliqué. Statut : En retard. Reste à payer : %s." % (euros("50,00"), euros("70,00")),
        "Crédit client de Boulangerie Martin SAS : %s." % euros("0,00"),
    ]


def test_apply_part_of_the_credit(customer, invoices):
    first, _second = invoices
    receive_payment(customer, Decimal("50.00"), DAY, allocations=[])

    run("apply-credit", first.number, "20,5")

    assert first.balance() == Decimal("99.50")
    assert customer_credit(customer) == Decimal("29.50")


@pytest.mark.parametrize(
    ("credit", "arguments", "message"),
    [
        ("0", [], "Le client Boulangerie Martin SAS n'a pas de crédit à appliquer."),
        ("50", ["60"], "60,00\u00a0€ dépasse ce qui peut être appliqué : crédit du client 50,00\u00a0€"),
        ("50", ["2,5O"], "Montant « 2,5O » invalide"),
    ],
)
def test_apply_credit_refuses_in_french(customer, invoices, credit, arguments, message):
    first, _second = invoices
    if credit != "0":
        receive_payment(customer, Decimal(credit), DAY, allocations=[])

    with pytest.raises(CommandError) as caught:
        run("apply-credit", first.number, *arguments)

    assert message in str(caught.value)
    assert first.balance() == Decimal("120.00")


def test_apply_credit_to_unknown_invoice(customer):
    with pytest.raises(CommandError, match=re.escape("Aucune facture émise n° « F-2099-0001 ».")):
        run("apply-credit", "F-2099-0001")


def test_refund_credit_records_the_refund(customer, invoices):
    first, _second = invoices
    record_payment(first, Decimal("130.00"), DAY)

    output = run("refund-credit", str(customer.pk), "10", "--method", "cheque", "--reference", "CHQ 99")

    refund = Receipt.objects.get(kind=ReceiptKind.REFUND)
    assert (refund.amount, refund.method, refund.reference, refund.date) == (Decimal("10.00"), "cheque", "CHQ 99", DAY)
    assert output.splitlines() == [
        "Remboursement n° %s de %s enregistré pour Boulangerie Martin SAS." % (refund.pk, euros("10,00")),
        "Crédit client de Boulangerie Martin SAS : %s." % euros("0,00"),
    ]


def test_refund_beyond_the_credit_is_refused(customer, invoices):
    first, _second = invoices
    record_payment(first, Decimal("130.00"), DAY)

    with pytest.raises(CommandError) as caught:
        run("refund-credit", str(customer.pk), "10,01")

    assert str(caught.value) == (
        "Le remboursement de 10,01%s€ dépasse le crédit du client Boulangerie Martin SAS (10,00%s€)." % (NBSP, NBSP)
    )
    assert customer_credit(customer) == Decimal("10.00")


# the payments of one invoice


def test_list_names_the_receipt_of_each_payment(customer, invoices):
    first, _second = invoices
    payment = record_payment(first, Decimal("20.00"), DAY)

    output = run("list", first.number)

    assert output.splitlines()[0].endswith("\tencaissement n° %s" % payment.receipt_id)


def test_add_records_bank_fees(customer, invoices):
    first, _second = invoices

    output = run("add", first.number, "125", "--date", "2026-12-10", "--fees", "1,25", "--method", "carte")

    assert Receipt.objects.get().bank_fees == Decimal("1.25")
    assert "%s gardés en crédit pour le client." % euros("5,00") in output


def test_receive_too_large_an_amount_is_a_french_error(customer):
    with pytest.raises(CommandError, match="12 chiffres au plus"):
        run("receive", "--customer", str(customer.pk), "1000000000000", "--no-allocate")
