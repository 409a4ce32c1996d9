"""Database triggers that make whole tables append-only: rows can be inserted, never changed.

Receipts, recorded payments, audit entries and hash-chain records must stay as they were
written, like issued invoices (see ``ardoise.invoicing.triggers``). The model
layer rejects changes too, but ``QuerySet.update()``, ``QuerySet.delete()`` and
raw SQL bypass it.

SQLite rebuilds a table to alter it, which drops its triggers. A migration that
alters one of ``APPEND_ONLY_TABLES`` must start with ``drop_operation(table)``
and end with ``create_operation(table)``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

APPEND_ONLY_TABLES = ("payments_receipt", "payments_payment", "audit_auditentry", "integrity_chainrecord")

POSTGRESQL_FUNCTION = """CREATE OR REPLACE FUNCTION ardoise_reject_append_only_change() RETURNS trigger AS $$
    BEGIN
        -- No percent placeholder: migrations pass this text through the driver's parameter formatting.
        RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only', ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql"""


def sqlite_create(table: str) -> list[str]:
    return [
        "CREATE TRIGGER %s_no_%s BEFORE %s ON %s BEGIN SELECT RAISE(ABORT, '%s is append-only'); END"
        % (table, operation.lower(), operation, table, table)
        for operation in ("UPDATE", "DELETE")
    ]


def sqlite_drop(table: str) -> list[str]:
    return ["DROP TRIGGER IF EXISTS %s_no_%s" % (table, operation) for operation in ("update", "delete")]


def postgresql_create(table: str) -> list[str]:
    return [
        POSTGRESQL_FUNCTION,
        "CREATE TRIGGER %s_append_only BEFORE UPDATE OR DELETE ON %s "
        "FOR EACH ROW EXECUTE FUNCTION ardoise_reject_append_only_change()" % (table, table),
    ]


def postgresql_drop(table: str) -> list[str]:
    return ["DROP TRIGGER IF EXISTS %s_append_only ON %s" % (table, table)]


def create_triggers(schema_editor: Any, table: str) -> None:
    on_postgresql = schema_editor.connection.vendor == "postgresql"
    statements = postgresql_create(table) if on_postgresql else sqlite_create(table)
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(schema_editor: Any, table: str) -> None:
    on_postgresql = schema_editor.connection.vendor == "postgresql"
    statements = postgresql_drop(table) if on_postgresql else sqlite_drop(table)
    for statement in statements:
        schema_editor.execute(statement)


def create_operation(table: str) -> migrations.RunPython:
    return migrations.RunPython(
        lambda apps, editor: create_triggers(editor, table), lambda apps, editor: drop_triggers(editor, table)
    )


def drop_operation(table: str) -> migrations.RunPython:
    return migrations.RunPython(
        lambda apps, editor: drop_triggers(editor, table), lambda apps, editor: create_triggers(editor, table)
    )
