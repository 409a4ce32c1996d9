"""Database triggers that refuse any change to the content of an issued quote, its lines and its PDF.

``Quote.save()`` and ``QuoteLine.save()`` already refuse these changes, but
``QuerySet.update()``, ``QuerySet.delete()`` and raw SQL bypass the models.
Unlike an issued invoice, an issued quote still moves: its status and the
fields that record the customer's response (sent, accepted, refused,
expired) change after issue. The quote trigger therefore rejects an update only when one of
``FROZEN_COLUMNS`` changes or the status goes back to draft.

A column added to ``quotes_quote`` later is not protected until it is added
to ``FROZEN_COLUMNS`` and the triggers are created again. SQLite rebuilds a
table to alter it, which drops the triggers on that table and can break those
that name it, so a migration that alters ``quotes_quote``, ``quotes_quoteline``
or ``quotes_quotefile`` must start with ``drop_operation()`` and end with
``create_operation()``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

# The columns printed on the PDF or fixed at issue. Every other column may change after
# issue: status, updated_at, sent_at, accepted_at, accepted_by_name, acceptance_evidence,
# refused_at, refusal_reason, expired_at and duplicated_from_id (set to NULL when the
# draft it was copied from is deleted).
FROZEN_COLUMNS = (
    "organisation_id",
    "customer_id",
    "series_id",
    "kind",
    "number",
    "version",
    "previous_version_id",
    "currency",
    "issue_date",
    "validity_date",
    "conditions",
    "notes",
    "discount_kind",
    "discount_value",
    "discount_reason",
    "document_adjustments",
    "deposit_percent",
    "auto_deposit_on_acceptance",
    "total_without_vat",
    "total_vat",
    "total_with_vat",
    "document",
    "pdf_sha256",
    "issued_at",
    "issued_by_id",
    "created_at",
)


def _changed(operator: str) -> str:
    """Return the SQL condition that is true when the status goes back to draft or a frozen column changes."""
    changes = ["NEW.status = 'draft'"] + ["NEW.%s %s OLD.%s" % (column, operator, column) for column in FROZEN_COLUMNS]
    return " OR ".join(changes)


SQLITE_CREATE = [
    """CREATE TRIGGER quotes_quote_issued_no_update BEFORE UPDATE ON quotes_quote
    WHEN OLD.status <> 'draft' AND (%s)
    BEGIN SELECT RAISE(ABORT, 'issued quote is immutable'); END"""
    % _changed("IS NOT"),
    """CREATE TRIGGER quotes_quote_issued_no_delete BEFORE DELETE ON quotes_quote
    WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued quote is immutable'); END""",
    """CREATE TRIGGER quotes_line_issued_no_insert BEFORE INSERT ON quotes_quoteline
    WHEN (SELECT status FROM quotes_quote WHERE id = NEW.quote_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued quote is immutable'); END""",
    """CREATE TRIGGER quotes_line_issued_no_update BEFORE UPDATE ON quotes_quoteline
    WHEN (SELECT status FROM quotes_quote WHERE id = OLD.quote_id) <> 'draft'
      OR (SELECT status FROM quotes_quote WHERE id = NEW.quote_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued quote is immutable'); END""",
    """CREATE TRIGGER quotes_line_issued_no_delete BEFORE DELETE ON quotes_quoteline
    WHEN (SELECT status FROM quotes_quote WHERE id = OLD.quote_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued quote is immutable'); END""",
    """CREATE TRIGGER quotes_file_no_update BEFORE UPDATE ON quotes_quotefile
    BEGIN SELECT RAISE(ABORT, 'issued quote is immutable'); END""",
    """CREATE TRIGGER quotes_file_no_delete BEFORE DELETE ON quotes_quotefile
    BEGIN SELECT RAISE(ABORT, 'issued quote is immutable'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS quotes_quote_issued_no_update",
    "DROP TRIGGER IF EXISTS quotes_quote_issued_no_delete",
    "DROP TRIGGER IF EXISTS quotes_line_issued_no_insert",
    "DROP TRIGGER IF EXISTS quotes_line_issued_no_update",
    "DROP TRIGGER IF EXISTS quotes_line_issued_no_delete",
    "DROP TRIGGER IF EXISTS quotes_file_no_update",
    "DROP TRIGGER IF EXISTS quotes_file_no_delete",
]

POSTGRESQL_CREATE = [
    """CREATE OR REPLACE FUNCTION ardoise_reject_issued_quote_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'issued quote is immutable' USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION ardoise_reject_issued_quote_line_change() RETURNS trigger AS $$
    BEGIN
        IF (TG_OP <> 'INSERT' AND (SELECT status FROM quotes_quote WHERE id = OLD.quote_id) <> 'draft')
           OR (TG_OP <> 'DELETE' AND (SELECT status FROM quotes_quote WHERE id = NEW.quote_id) <> 'draft') THEN
            RAISE EXCEPTION 'issued quote is immutable' USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER quotes_quote_issued_no_update BEFORE UPDATE ON quotes_quote
    FOR EACH ROW WHEN (OLD.status <> 'draft' AND (%s)) EXECUTE FUNCTION ardoise_reject_issued_quote_change()"""
    % _changed("IS DISTINCT FROM"),
    """CREATE TRIGGER quotes_quote_issued_no_delete BEFORE DELETE ON quotes_quote
    FOR EACH ROW WHEN (OLD.status <> 'draft') EXECUTE FUNCTION ardoise_reject_issued_quote_change()""",
    """CREATE TRIGGER quotes_line_issued_immutable BEFORE INSERT OR UPDATE OR DELETE ON quotes_quoteline
    FOR EACH ROW EXECUTE FUNCTION ardoise_reject_issued_quote_line_change()""",
    """CREATE TRIGGER quotes_file_immutable BEFORE UPDATE OR DELETE ON quotes_quotefile
    FOR EACH ROW EXECUTE FUNCTION ardoise_reject_issued_quote_change()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS quotes_quote_issued_no_update ON quotes_quote",
    "DROP TRIGGER IF EXISTS quotes_quote_issued_no_delete ON quotes_quote",
    "DROP TRIGGER IF EXISTS quotes_line_issued_immutable ON quotes_quoteline",
    "DROP TRIGGER IF EXISTS quotes_file_immutable ON quotes_quotefile",
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
