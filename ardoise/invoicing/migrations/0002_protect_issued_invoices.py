"""Make the database refuse any change to an issued invoice, its lines and files.

The model layer already refuses these changes, but ``QuerySet.update()``,
``QuerySet.delete()`` and raw SQL bypass it. Invoices must stay unaltered for
ten years (Code de commerce L123-22), so the last line of defence is in the
database itself.
"""

from django.db import migrations

SQLITE = [
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
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_line_issued_no_delete BEFORE DELETE ON invoicing_invoiceline
    WHEN (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_file_no_update BEFORE UPDATE ON invoicing_issuedfile
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
    """CREATE TRIGGER invoicing_file_no_delete BEFORE DELETE ON invoicing_issuedfile
    BEGIN SELECT RAISE(ABORT, 'issued invoice is immutable'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER invoicing_invoice_issued_no_update",
    "DROP TRIGGER invoicing_invoice_issued_no_delete",
    "DROP TRIGGER invoicing_line_issued_no_insert",
    "DROP TRIGGER invoicing_line_issued_no_update",
    "DROP TRIGGER invoicing_line_issued_no_delete",
    "DROP TRIGGER invoicing_file_no_update",
    "DROP TRIGGER invoicing_file_no_delete",
]

POSTGRESQL = [
    """CREATE FUNCTION ardoise_reject_issued_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'issued invoice is immutable' USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION ardoise_reject_issued_line_change() RETURNS trigger AS $$
    DECLARE
        parent_id bigint;
    BEGIN
        IF TG_OP = 'DELETE' THEN parent_id := OLD.invoice_id; ELSE parent_id := NEW.invoice_id; END IF;
        IF (SELECT status FROM invoicing_invoice WHERE id = parent_id) <> 'draft'
           OR (TG_OP = 'UPDATE' AND (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id) <> 'draft') THEN
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
POSTGRESQL_REVERSE = [
    "DROP TRIGGER invoicing_invoice_issued_immutable ON invoicing_invoice",
    "DROP TRIGGER invoicing_line_issued_immutable ON invoicing_invoiceline",
    "DROP TRIGGER invoicing_file_immutable ON invoicing_issuedfile",
    "DROP FUNCTION ardoise_reject_issued_change()",
    "DROP FUNCTION ardoise_reject_issued_line_change()",
]


def create_triggers(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    statements = POSTGRESQL_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
