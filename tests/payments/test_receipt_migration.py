"""Payments migration 0003 gives each payment recorded before receipts existed a receipt of its own."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ardoise.integrity.services import verify
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.payments.services import customer_credit, record_payment, reverse_payment


def migrate(target: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture(autouse=True)
def latest_schema_afterwards():
    """Leave the test database at the latest migrations for the tests that follow."""
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(datetime.datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        yield


@pytest.mark.django_db(transaction=True)
def test_legacy_payments_get_one_receipt_each(issued_invoice):
    day = datetime.date(2026, 12, 9)
    mistake = record_payment(issued_invoice, Decimal("5.00"), day)
    reverse_payment(mistake)
    kept = record_payment(issued_invoice, Decimal("1065.00"), day, "cheque", "CHQ 42")
    credit_note = issue_invoice(create_credit_note(issued_invoice), today=day)
    refund = record_payment(credit_note, credit_note.refund_due(), day)

    migrate([("payments", "0002_append_only")])
    migrate([("payments", "0003_receipts")])
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    payments = {payment.pk: payment for payment in Payment.objects.select_related("receipt")}
    assert len(payments) == Receipt.objects.count() == 4
    assert payments[kept.pk].receipt.amount == Decimal("1065.00")
    assert payments[kept.pk].receipt.method == "cheque"
    assert payments[kept.pk].receipt.reference == "CHQ 42"
    reversal = Payment.objects.get(reverses_id=mistake.pk)
    assert reversal.receipt.reverses_id == payments[mistake.pk].receipt_id
    assert reversal.receipt.amount == Decimal("-5.00")
    assert payments[refund.pk].receipt.kind == ReceiptKind.REFUND
    assert customer_credit(issued_invoice.customer) == Decimal("0.00")
    assert verify(issued_invoice.organisation).ok
