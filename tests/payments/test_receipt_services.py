"""Receipt services the screens rely on: bank fees on a single payment, undoing credit, automatic split."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ardoise.integrity.services import verify
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.models import Receipt
from ardoise.payments.services import (
    PaymentError,
    apply_credit,
    automatic_allocations,
    customer_credit,
    receive_payment,
    record_payment,
    reverse_payment,
)
from tests.payments.test_receipts import make_invoice

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(datetime.datetime(2026, 12, 10, 9, 0, tzinfo=PARIS), tick=False):
        yield


def test_single_payment_keeps_its_bank_fees(customer):
    invoice = make_invoice(customer, "100.00")

    payment = record_payment(invoice, Decimal("120.00"), DAY, "carte", bank_fees=Decimal("0.90"))

    assert payment.receipt.bank_fees == Decimal("0.90")
    assert invoice.balance() == Decimal("0.00")


def test_refund_on_credit_note_refuses_bank_fees(issued_invoice):
    record_payment(issued_invoice, Decimal("1065.00"), datetime.date(2026, 12, 8))
    credit_note = issue_invoice(create_credit_note(issued_invoice), today=DAY)

    with pytest.raises(PaymentError) as caught:
        record_payment(credit_note, Decimal("100.00"), DAY, bank_fees=Decimal("1.00"))

    assert caught.value.field == "bank_fees"
    assert not Receipt.objects.filter(kind="refund").exists()


def test_reversed_credit_payment_returns_to_credit(customer):
    receipt = receive_payment(customer, Decimal("30.00"), DAY, allocations=[])
    invoice = make_invoice(customer, "50.00", issued_on=DAY)
    (payment,) = apply_credit(invoice)

    reversal = reverse_payment(payment)

    assert reversal.receipt == receipt
    assert not Receipt.objects.filter(reverses=receipt).exists()
    assert customer_credit(customer) == Decimal("30.00")
    assert invoice.balance() == Decimal("60.00")
    assert verify(customer.organisation).ok


def test_reversed_single_payment_reverses_receipt(customer):
    invoice = make_invoice(customer, "50.00")
    payment = record_payment(invoice, Decimal("60.00"), DAY)

    reverse_payment(payment)

    assert payment.receipt.is_reversed
    assert customer_credit(customer) == Decimal("0.00")


def test_automatic_split_skips_later_invoices(customer):
    before = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 12, 1))
    make_invoice(customer, "100.00", issued_on=DAY)

    allocations = automatic_allocations(customer, Decimal("500.00"), datetime.date(2026, 12, 5))

    assert allocations == [(before, Decimal("120.00"))]
