"""A queue for the issuers of invoices on SQLite.

SQLite has one writer at a time, and a connection that finds the database
locked polls it with growing sleeps until its busy timeout. Issuing an invoice
holds the write lock for tens of milliseconds, because the PDF and the XML
validation happen inside the transaction so that a failure never consumes a
number. With 20 concurrent issuers, some kept losing the race and failed with
"database is locked" after the 20-second timeout. Waiting on an exclusive
``flock`` first lets the kernel wake the next issuer as soon as the previous
one commits, across threads and processes alike.

PostgreSQL queues the row locks that ``issue_invoice`` takes, so it needs none.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from django.db import connection

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

# In-memory databases (the test database) and systems without flock are
# served by one process, so a thread lock gives the same queue there.
_process_lock = threading.Lock()


@contextlib.contextmanager
def issuing_turn() -> Iterator[None]:
    """Wait until no other issuer on this SQLite database is in its transaction."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        # Inside a transaction, ``BEGIN IMMEDIATE`` already holds SQLite's write lock, so waiting
        # for the queue could wait on an issuer that itself waits on this transaction.
        yield
        return
    if cast(Any, connection).is_in_memory_db() or fcntl is None:
        # NOTE: without flock, processes sharing a SQLite file still rely on the busy timeout alone.
        with _process_lock:
            yield
        return
    lock_path = Path("%s.issue-lock" % connection.settings_dict["NAME"])
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
