"""Integrity migrations chain what was recorded before: documents and payments (0001), receipts (0002)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ardoise.integrity.models import ChainRecord
from ardoise.integrity.services import verify
from ardoise.payments.services import record_payment


def migrate(target: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture(autouse=True)
def latest_schema_afterwards():
    """Leave the test database at the latest migrations for the tests that follow."""
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_records_are_chained_in_time_order(issued_invoice, organisation):
    payment = record_payment(issued_invoice, Decimal("100.00"), datetime.date(2026, 12, 9))
    hashes_before = list(ChainRecord.objects.order_by("sequence").values_list("hash", flat=True))

    migrate([("integrity", None)])
    migrate([("integrity", "0001_initial")])

    # Only the columns of migration 0001: the model's receipt column does not exist at this point.
    records = ChainRecord.objects.filter(organisation=organisation).order_by("sequence")
    assert list(records.values_list("invoice_id", "payment_id")) == [(issued_invoice.pk, None), (None, payment.pk)]
    assert records.values_list("hash", flat=True)[0] == hashes_before[0]


@pytest.mark.django_db(transaction=True)
def test_receipts_recorded_before_they_were_chained_join_the_end_of_the_chain(issued_invoice, organisation):
    payment = record_payment(issued_invoice, Decimal("100.00"), datetime.date(2026, 12, 9))

    migrate([("integrity", "0001_initial")])
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    records = list(ChainRecord.objects.filter(organisation=organisation).order_by("sequence"))
    assert [(record.kind, record.invoice_id, record.payment_id, record.receipt_id) for record in records] == [
        ("invoice", issued_invoice.pk, None, None),
        ("payment", None, payment.pk, None),
        ("receipt", None, None, payment.receipt_id),
    ]
    assert verify(organisation).ok
