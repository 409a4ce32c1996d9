"""Integrity migration 0001 chains the documents and payments recorded before the chain table existed."""

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


@pytest.mark.django_db(transaction=True)
def test_existing_records_are_chained_in_time_order(issued_invoice, organisation):
    payment = record_payment(issued_invoice, Decimal("100.00"), datetime.date(2026, 12, 9))
    hashes_before = list(ChainRecord.objects.order_by("sequence").values_list("hash", flat=True))

    migrate([("integrity", None)])
    migrate([("integrity", "0001_initial")])

    records = list(ChainRecord.objects.filter(organisation=organisation).order_by("sequence"))
    assert [(record.invoice_id, record.payment_id) for record in records] == [
        (issued_invoice.pk, None),
        (None, payment.pk),
    ]
    assert [record.hash for record in records] == hashes_before
    assert verify(organisation).ok
