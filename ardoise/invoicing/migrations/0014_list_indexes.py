"""Index the invoice numbers by trigrams on PostgreSQL, for the invoice list's search.

The search keeps the invoices whose number contains a text (``number__icontains``, which
PostgreSQL runs as ``UPPER(number) LIKE UPPER('%text%')``). A B-tree cannot serve a "contains",
so counting the matches read every invoice of the organisation. A GIN index with the trigram
operator class of the ``pg_trgm`` extension serves it. ``pg_trgm`` ships with PostgreSQL's
contrib modules and is a trusted extension since PostgreSQL 13: a role that may create objects
in the database can install it.

When the extension cannot be installed (contrib modules missing, or a role without the right),
the migration logs a warning and leaves the index out: the search gives the same results and
reads every invoice, as before. SQLite gets no index.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger("ardoise.invoicing.migrations")

CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS invoice_number_trigram ON invoicing_invoice USING gin (UPPER(number) gin_trgm_ops)"
)
DROP_INDEX = "DROP INDEX IF EXISTS invoice_number_trigram"


def create_number_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        # A savepoint: a failed statement would otherwise abort the migration's transaction.
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(CREATE_INDEX)
    except DatabaseError as error:
        logger.warning(
            "invoice number index not created, searching invoices by number reads every invoice: %s", error
        )


def drop_number_index(apps, schema_editor):
    # The extension stays: other objects of the database may use it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0013_series_kind")]

    operations = [migrations.RunPython(create_number_index, drop_number_index)]
