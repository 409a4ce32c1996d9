"""Database triggers that refuse any change to an issued invoice, its lines and files.

The model layer already refuses these changes, but ``QuerySet.update()``,
``QuerySet.delete()`` and raw SQL bypass it. Invoices must stay unaltered for
ten years (Code de commerce L123-22), so the last line of defence is in the
database itself.

SQLite rebuilds a table to alter it, which breaks triggers that name the
table. A migration that alters ``invoicing_invoice``, ``invoicing_invoiceline``
or ``invoicing_issuedfile`` must therefore start with ``drop_operation()`` and
end with ``create_operation()``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE_CREATE = [
    """CREATE TRIGGER invoicing_invoice_issued_no_update BEFORE UPDATE ON invoicing_invoice
    WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_invoice_issued_no_delete BEFORE DELETE ON invoicing_invoice
    WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_line_issued_no_insert BEFORE INSERT ON invoicing_invoiceline
    WHEN (SELECT status FROM invoicing_invoice WHERE id = NEW.invoice_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_line_issued_no_update BEFORE UPDATE ON invoicing_invoiceline
    WHEN (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id) <> 'draft'
      OR (SELECT status FROM invoicing_invoice WHERE id = NEW.invoice_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_line_issued_no_delete BEFORE DELETE ON invoicing_invoiceline
    WHEN (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_file_no_update BEFORE UPDATE ON invoicing_issuedfile
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_file_no_delete BEFORE DELETE ON invoicing_issuedfile
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS invoicing_invoice_issued_no_update",
    "DROP TRIGGER IF EXISTS invoicing_invoice_issued_no_delete",
    "DROP TRIGGER IF EXISTS invoicing_line_issued_no_insert",
    "DROP TRIGGER IF EXISTS invoicing_line_issued_no_update",
    "DROP TRIGGER IF EXISTS invoicing_line_issued_no_delete",
    "DROP TRIGGER IF EXISTS invoicing_file_no_update",
    "DROP TRIGGER IF EXISTS invoicing_file_no_delete",
]

POSTGRESQL_CREATE = [
    """CREATE OR REPLACE FUNCTION ardoise_reject_issued_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'issued invoice is immutable' USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION ardoise_reject_issued_line_change() RETURNS trigger AS $$
    BEGIN
        IF (TG_OP <> 'INSERT' AND (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id) <> 'draft')
           OR (TG_OP <> 'DELETE' AND (SELECT status FROM invoicing_invoice WHERE id = NEW.invoice_id) <> 'draft') THEN
            RAISE EXCEPTION 'issued invoice is immutable' USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER invoicing_invoice_issued_immutable BEFORE UPDATE OR DELETE ON invoicing_invoice
    FOR EACH ROW WHEN (OLD.status <> 'draft') EXECUTE FUNCTION ardoise_reject_issued_change()""",
    """CREATE TRIGGER invoicing_line_issued_immutable BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION ardoise_reject_issued_line_change()""",
    """CREATE TRIGGER invoicing_file_immutable BEFORE UPDATE OR DELETE ON invoicing_issuedfile
    FOR EACH ROW EXECUTE FUNCTION ardoise_reject_issued_change()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS invoicing_invoice_issued_immutable ON invoicing_invoice",
    "DROP TRIGGER IF EXISTS invoicing_line_issued_immutable ON invoicing_invoiceline",
    "DROP TRIGGER IF EXISTS invoicing_file_immutable ON invoicing_issuedfile",
]


def _run(schema_editor: Any, sqlite: list[str], postgresql: list[str]) -> None:
    statements = postgresql if schema_editor.connection.vendor == "postgresql" else sqlite
    for statement in statements:
        schema_editor.execute(statement)


def create_triggers(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, SQLITE_CREATE, POSTGRESQL_CREATE)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, SQLITE_DROP, POSTGRESQL_DROP)


def create_operation() -> migrations.RunPython:
    return migrations.RunPython(create_triggers, drop_triggers)


def drop_operation() -> migrations.RunPython:
    return migrations.RunPython(drop_triggers, create_triggers)
