"""Helpers to tamper with stored records as someone with direct database access would."""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from ardoise.integrity import triggers as append_only
from ardoise.invoicing import triggers as invoice_triggers

DAY = datetime.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def december_tenth():
    """Run on 10 December 2026, after ``issued_invoice`` (4 December), so payments can be dated before today."""
    with time_machine.travel(datetime.datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


@contextmanager
def triggers_lifted():
    """Drop every protecting trigger, as ``flush`` does, for raw SQL inside the test's transaction.

    The test's transaction is rolled back at its end, which puts the triggers back.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            statements = invoice_triggers.POSTGRESQL_DROP + [
                statement
                for table in append_only.APPEND_ONLY_TABLES
                for statement in append_only.postgresql_drop(table)
            ]
        else:
            statements = invoice_triggers.SQLITE_DROP + [
                statement for table in append_only.APPEND_ONLY_TABLES for statement in append_only.sqlite_drop(table)
            ]
        for statement in statements:
            cursor.execute(statement)
    yield


def raw_sql(sql: str, params: list[object]) -> None:
    with triggers_lifted(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def tamper():
    """Run one raw SQL statement with the triggers lifted, e.g. ``tamper("UPDATE …", [params])``."""
    return raw_sql


@pytest.fixture
def paid_invoice(issued_invoice, owner):
    """``issued_invoice`` (F-2026-0001) with one partial payment of 400.00 on 8 December 2026."""
    from ardoise.payments.services import record_payment

    record_payment(issued_invoice, Decimal("400.00"), datetime.date(2026, 12, 8), "virement", "VIR 123", user=owner)
    return issued_invoice
