"""Django's ``flush``, which empties every table, made to work with the invoice and quote triggers.

On SQLite, flushing runs ``DELETE FROM`` on each table, which the triggers that
protect issued invoices and quotes and the append-only tables (payments, audit log, hash
chain) refuse. Emptying the whole database is the same as
deleting its file, so the triggers are lifted for the flush and put back after.
PostgreSQL flushes with ``TRUNCATE``, which fires no row trigger.
"""

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from ardoise.integrity import triggers as append_only
from ardoise.invoicing import triggers
from ardoise.quotes import triggers as quote_triggers


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        with connection.schema_editor() as editor:
            triggers.drop_triggers(None, editor)
            quote_triggers.drop_triggers(None, editor)
            for table in append_only.APPEND_ONLY_TABLES:
                append_only.drop_triggers(editor, table)
        try:
            super().handle(**options)
        finally:
            with connection.schema_editor() as editor:
                triggers.create_triggers(None, editor)
                quote_triggers.create_triggers(None, editor)
                for table in append_only.APPEND_ONLY_TABLES:
                    append_only.create_triggers(editor, table)
