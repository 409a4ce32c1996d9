"""``ardoise payment``: add, list and reverse from the command line."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from ardoise.integrity.services import verify
from ardoise.payments.models import Payment

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    output = io.StringIO()
    call_command("payment", *args, stdout=output)
    return output.getvalue()


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel("2026-12-10 10:00 +01:00", tick=False):
        yield


def test_list_shows_payment_ids(issued_invoice):
    run("add", issued_invoice.number, "100,00", "--date", "2026-12-09")
    payment = Payment.objects.get()

    output = run("list", issued_invoice.number)

    assert output.startswith("%s\t09/12/2026\t100,00" % payment.pk)
    assert "Reste à payer" in output


def test_reverse_records_opposite_payment(issued_invoice):
    run("add", issued_invoice.number, "100,00", "--date", "2026-12-09")
    payment = Payment.objects.get()

    output = run("reverse", str(payment.pk))

    reversal = Payment.objects.exclude(pk=payment.pk).get()
    assert "Paiement annulé" in output
    assert reversal.amount == Decimal("-100.00")
    assert reversal.reverses == payment
    assert issued_invoice.paid_total() == Decimal("0.00")
    assert verify(issued_invoice.organisation).ok


def test_reverse_twice_is_refused(issued_invoice):
    run("add", issued_invoice.number, "100,00", "--date", "2026-12-09")
    payment = Payment.objects.get()
    run("reverse", str(payment.pk))

    with pytest.raises(CommandError, match="déjà annulé"):
        run("reverse", str(payment.pk))


@pytest.mark.parametrize("raw", ["abc", "999999"])
def test_reverse_unknown_id_names_it(issued_invoice, raw):
    with pytest.raises(CommandError, match="Aucun paiement d'identifiant « %s »" % raw):
        run("reverse", raw)


def test_reverse_other_organisation_payment_is_not_found(issued_invoice, other_organisation):
    own = str(issued_invoice.organisation.pk)
    run("--organisation", own, "add", issued_invoice.number, "100,00", "--date", "2026-12-09")
    payment = Payment.objects.get()

    with pytest.raises(CommandError, match="Aucun paiement"):
        call_command("payment", "--organisation", str(other_organisation.pk), "reverse", str(payment.pk))
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("raw", ["1e2", "1,2,3"])
def test_add_rejects_non_decimal_amount(issued_invoice, raw):
    with pytest.raises(CommandError, match="Montant « %s » invalide" % raw):
        run("add", issued_invoice.number, raw, "--date", "2026-12-09")
    assert not Payment.objects.exists()


def test_add_rejects_decimals_finer_than_currency(organisation, customer):
    import datetime

    from ardoise.invoicing.services import issue_invoice
    from tests.invoicing.test_currencies import foreign_draft

    draft = foreign_draft(organisation, customer, "JPY", Decimal("0.006"), [("Traduction", "1", "1000", "20.00")])
    invoice = issue_invoice(draft, today=datetime.date(2026, 12, 9))

    with pytest.raises(CommandError, match="Le montant 100,5 a trop de décimales pour la devise JPY : 0 au plus"):
        run("add", invoice.number, "100,50", "--date", "2026-12-09")
    assert not Payment.objects.exists()
