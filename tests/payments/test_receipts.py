"""Receipts: one transfer settling several invoices, overpayments as customer credit, refunds, reversals."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ardoise.customers.models import Customer
from ardoise.integrity.services import verify
from ardoise.invoicing.models import Invoice, InvoiceLine, PaymentState
from ardoise.invoicing.services import issue_invoice, normalise_line_vat, refresh_totals
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.payments.services import (
    PaymentError,
    apply_credit,
    customer_credit,
    open_invoices,
    receive_payment,
    record_payment,
    refund_credit,
    reverse_payment,
    reverse_receipt,
)

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(datetime.datetime(2026, 12, 10, 9, 0, tzinfo=PARIS), tick=False):
        yield


def make_invoice(customer, amount_ht: str, *, issued_on=datetime.date(2026, 12, 1), due_in=30, currency="EUR"):
    """Issue an invoice of one line at 20 % VAT for ``amount_ht``."""
    invoice = Invoice.objects.create(
        organisation=customer.organisation, customer=customer, payment_terms_days=due_in, currency=currency
    )
    line = InvoiceLine(invoice=invoice, position=0, name="Prestation", quantity=Decimal("1"), unit="C62")
    line.unit_price = Decimal(amount_ht)
    line.vat_rate = Decimal("20.00")
    normalise_line_vat(line, customer.organisation)
    line.save()
    refresh_totals(invoice)
    if currency != "EUR":
        invoice.exchange_rate = Decimal("1.1")
        invoice.save()
    return issue_invoice(invoice, today=issued_on)


@pytest.fixture
def hundred(customer):
    """An invoice of 100,00 € TTC (83,33 € HT + 16,67 € VAT)."""
    invoice = make_invoice(customer, "83.33")
    assert invoice.amount_due == Decimal("100.00")
    return invoice


@pytest.mark.django_db
def test_overpaid_invoice_credit_then_refund(hundred, customer):
    record_payment(hundred, Decimal("60.00"), DAY)
    record_payment(hundred, Decimal("50.00"), DAY)

    hundred.refresh_from_db()
    assert hundred.payment_state() == PaymentState.PAID
    assert hundred.balance() == Decimal("0.00")
    assert customer_credit(customer) == Decimal("10.00")

    refund_credit(customer, Decimal("10.00"), DAY, "virement", "Remboursement trop-perçu")

    assert customer_credit(customer) == Decimal("0.00")
    assert hundred.balance() == Decimal("0.00")
    assert verify(customer.organisation).ok


@pytest.mark.django_db
def test_reversed_overpayment_restores_balance(hundred, customer):
    record_payment(hundred, Decimal("60.00"), DAY)
    second = record_payment(hundred, Decimal("50.00"), DAY)

    reverse_receipt(second.receipt)

    assert hundred.balance() == Decimal("40.00")
    assert customer_credit(customer) == Decimal("0.00")
    assert Receipt.objects.filter(reverses=second.receipt, amount=Decimal("-50.00")).exists()
    assert Payment.objects.filter(reverses=second, amount=Decimal("-40.00")).exists()
    assert verify(customer.organisation).ok


@pytest.mark.django_db
def test_transfer_settles_several_invoices(customer):
    first = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 11, 1))
    second = make_invoice(customer, "50.00", issued_on=datetime.date(2026, 11, 15))
    third = make_invoice(customer, "200.00", issued_on=datetime.date(2026, 12, 1))

    receipt = receive_payment(
        customer,
        Decimal("250.00"),
        DAY,
        reference="VIR FACTURES NOV",
        allocations=[(first, Decimal("120.00")), (second, Decimal("60.00")), (third, Decimal("70.00"))],
    )

    assert [p.invoice_id for p in receipt.payments.order_by("id")] == [first.pk, second.pk, third.pk]
    assert first.balance() == Decimal("0.00")
    assert second.balance() == Decimal("0.00")
    assert third.balance() == Decimal("170.00")
    assert third.payment_state() == PaymentState.PARTIALLY_PAID
    assert receipt.unallocated() == Decimal("0.00")


@pytest.mark.django_db
def test_automatic_allocation_oldest_due_first(customer):
    late = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 10, 1), due_in=30)
    recent = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 12, 1), due_in=30)
    early_due = make_invoice(customer, "10.00", issued_on=datetime.date(2026, 11, 20), due_in=0)

    receipt = receive_payment(customer, Decimal("300.00"), DAY)

    assert [p.invoice_id for p in receipt.payments.order_by("id")] == [late.pk, early_due.pk, recent.pk]
    assert customer_credit(customer) == Decimal("300.00") - Decimal("252.00")
    assert list(open_invoices(customer)) == []


@pytest.mark.django_db
def test_credit_applies_to_a_later_invoice(hundred, customer):
    record_payment(hundred, Decimal("130.00"), DAY)
    later = make_invoice(customer, "50.00", issued_on=DAY)

    payments = apply_credit(later)

    assert [p.amount for p in payments] == [Decimal("30.00")]
    assert payments[0].receipt.payments.count() == 2
    assert later.balance() == Decimal("30.00")
    assert customer_credit(customer) == Decimal("0.00")
    assert verify(customer.organisation).ok


@pytest.mark.django_db
def test_credit_applied_from_several_receipts_oldest_first(customer):
    receive_payment(customer, Decimal("20.00"), datetime.date(2026, 12, 1), allocations=[])
    receive_payment(customer, Decimal("30.00"), datetime.date(2026, 12, 2), allocations=[])
    invoice = make_invoice(customer, "25.00", issued_on=DAY)

    payments = apply_credit(invoice, Decimal("30.00"))

    assert [p.amount for p in payments] == [Decimal("20.00"), Decimal("10.00")]
    assert invoice.balance() == Decimal("0.00")
    assert customer_credit(customer) == Decimal("20.00")


@pytest.mark.django_db
def test_apply_more_than_credit_refused(hundred, customer):
    receive_payment(customer, Decimal("5.00"), DAY, allocations=[])

    with pytest.raises(PaymentError, match="dépasse"):
        apply_credit(hundred, Decimal("6.00"))


@pytest.mark.django_db
def test_refund_beyond_credit_refused_naming_both_amounts(hundred, customer):
    record_payment(hundred, Decimal("110.00"), DAY)

    with pytest.raises(PaymentError) as caught:
        refund_credit(customer, Decimal("10.01"), DAY)

    assert "10,01" in caught.value.message
    assert "10,00" in caught.value.message
    assert not Receipt.objects.filter(kind=ReceiptKind.REFUND).exists()


@pytest.mark.django_db
def test_refunded_credit_blocks_receipt_reversal(hundred, customer):
    overpaid = record_payment(hundred, Decimal("110.00"), DAY).receipt
    refund = refund_credit(customer, Decimal("10.00"), DAY)

    with pytest.raises(PaymentError, match="remboursé"):
        reverse_receipt(overpaid)

    reverse_receipt(refund)
    reverse_receipt(overpaid)
    assert customer_credit(customer) == Decimal("0.00")
    assert hundred.balance() == Decimal("100.00")


@pytest.mark.django_db
def test_reverse_only_payment_reverses_receipt(hundred, customer):
    payment = record_payment(hundred, Decimal("100.00"), DAY)

    reverse_payment(payment)

    assert payment.receipt.is_reversed
    assert customer_credit(customer) == Decimal("0.00")
    assert hundred.balance() == Decimal("100.00")


@pytest.mark.django_db
def test_reverse_split_payment_returns_credit(customer):
    first = make_invoice(customer, "100.00")
    second = make_invoice(customer, "50.00")
    receipt = receive_payment(customer, Decimal("180.00"), DAY)

    reverse_payment(receipt.payments.get(invoice=second))

    assert not receipt.is_reversed
    assert second.balance() == Decimal("60.00")
    assert first.balance() == Decimal("0.00")
    assert customer_credit(customer) == Decimal("60.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("allocation", "message"),
    [
        (Decimal("120.01"), "dépasse le reste à payer"),
        (Decimal("0.001"), "trop de décimales"),
        (Decimal("-5.00"), "positif"),
    ],
)
def test_bad_allocation_refused_and_nothing_saved(customer, allocation, message):
    invoice = make_invoice(customer, "100.00")

    with pytest.raises(PaymentError, match=message):
        receive_payment(customer, Decimal("500.00"), DAY, allocations=[(invoice, allocation)])

    assert not Receipt.objects.exists()
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_allocations_beyond_the_amount_received_refused(customer):
    first = make_invoice(customer, "100.00")
    second = make_invoice(customer, "100.00")

    with pytest.raises(PaymentError, match="dépassent le montant reçu") as caught:
        receive_payment(
            customer, Decimal("150.00"), DAY, allocations=[(first, Decimal("120.00")), (second, Decimal("40.00"))]
        )

    assert caught.value.field == "allocations"
    assert not Receipt.objects.exists()


@pytest.mark.django_db
def test_another_customers_invoice_refused(customer, organisation):
    other = Customer.objects.create(
        organisation=organisation,
        name="Fromagerie Roux",
        email="compta@fromagerie-roux.fr",
        address_line1="1 rue Neuve",
        postcode="75001",
        city="Paris",
    )
    invoice = make_invoice(other, "100.00")

    with pytest.raises(PaymentError, match="client Boulangerie Martin"):
        receive_payment(customer, Decimal("120.00"), DAY, allocations=[(invoice, Decimal("120.00"))])

    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_invoice_in_another_currency_is_not_allocated_automatically(customer):
    dollars = make_invoice(customer, "100.00", currency="USD")

    receive_payment(customer, Decimal("120.00"), DAY)

    assert dollars.balance() == Decimal("120.00")
    assert customer_credit(customer, "EUR") == Decimal("120.00")
    assert customer_credit(customer, "USD") == Decimal("0.00")


@pytest.mark.django_db
@pytest.mark.parametrize("fees", [Decimal("-1.00"), Decimal("100.00"), Decimal("0.005")])
def test_bad_bank_fees_refused(customer, fees):
    with pytest.raises(PaymentError) as caught:
        receive_payment(customer, Decimal("100.00"), DAY, bank_fees=fees)

    assert caught.value.field == "bank_fees"


@pytest.mark.django_db
def test_bank_fees_do_not_change_what_the_invoice_receives(hundred, customer):
    receipt = receive_payment(customer, Decimal("100.00"), DAY, bank_fees=Decimal("1.50"), method="carte")

    assert receipt.bank_fees == Decimal("1.50")
    assert hundred.balance() == Decimal("0.00")
    assert customer_credit(customer) == Decimal("0.00")


@pytest.mark.django_db
def test_future_receipt_refused(customer):
    with pytest.raises(PaymentError, match="futur"):
        receive_payment(customer, Decimal("10.00"), DAY + datetime.timedelta(days=1))


@pytest.mark.django_db
def test_refunded_credit_note_blocks_reversal(customer):
    from ardoise.invoicing.credit_notes import create_credit_note

    invoice = make_invoice(customer, "200.00")
    receipt = receive_payment(customer, Decimal("300.00"), DAY)
    credit_note = issue_invoice(create_credit_note(invoice), today=DAY)
    refund = record_payment(credit_note, credit_note.refund_due(), DAY)

    with pytest.raises(PaymentError, match="annulez d'abord ces remboursements"):
        reverse_payment(receipt.payments.get())
    with pytest.raises(PaymentError, match="annulez d'abord ces remboursements"):
        reverse_receipt(receipt)

    reverse_receipt(refund.receipt)
    reverse_receipt(receipt)
    assert customer_credit(customer) == Decimal("0.00")
    assert invoice.balance() == Decimal("0.00")


@pytest.mark.django_db
def test_amount_beyond_columns_refused(customer):
    with pytest.raises(PaymentError, match="12 chiffres au plus") as caught:
        receive_payment(customer, Decimal("1000000000000"), DAY)

    assert caught.value.field == "amount"
    assert not Receipt.objects.exists()
