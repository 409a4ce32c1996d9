"""The trigram index of the invoice numbers, which the migration creates on PostgreSQL only."""

from __future__ import annotations

import importlib
import logging

import pytest
from django.db import connection

from ardoise.invoicing.models import Invoice

index_migration = importlib.import_module("ardoise.invoicing.migrations.0014_list_indexes")


@pytest.mark.postgres
@pytest.mark.django_db
def test_number_index_exists_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'invoice_number_trigram'")
        (definition,) = cursor.fetchone()

    assert "gin_trgm_ops" in definition
    assert "upper" in definition


@pytest.mark.postgres
@pytest.mark.django_db
def test_number_index_failure_leaves_migration_running(monkeypatch, caplog):
    monkeypatch.setattr(
        index_migration,
        "CREATE_INDEX",
        "CREATE INDEX invoice_number_unknown ON invoicing_invoice USING gin (number no_such_operator_class)",
    )

    with caplog.at_level(logging.WARNING, logger="ardoise.invoicing.migrations"):
        with connection.schema_editor() as schema_editor:
            index_migration.create_number_index(None, schema_editor)
        # The failed statement was rolled back to its savepoint: the transaction is still usable.
        assert Invoice.objects.count() == 0

    assert "invoice number index not created" in caplog.text
