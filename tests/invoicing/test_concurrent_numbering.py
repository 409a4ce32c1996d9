"""1,000 invoices issued by 20 concurrent workers get exactly the numbers 1 to 1,000 of their series.

Each worker is a thread with its own database connection that calls the real
``issue_invoice``: numbering, XML validation, Typst PDF and hash chain. On
PostgreSQL the organisation row lock and ``SELECT … FOR UPDATE`` order the
issuers. On SQLite they queue on the ``flock`` of ``ardoise.invoicing.locking``,
then take the write lock of ``BEGIN IMMEDIATE`` on a real WAL file.
"""

from __future__ import annotations

import datetime
import queue
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ardoise.integrity.services import verify
from ardoise.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, NumberingSeries, ResetPolicy, SeriesCounter
from ardoise.invoicing.services import issue_invoice

DAY = datetime.date(2026, 12, 4)
INVOICES = 1000
WORKERS = 20


def make_drafts(organisation, customer, series, count: int) -> list[int]:
    """Create ``count`` one-line drafts in the series; ``issue_invoice`` computes their totals."""
    drafts = Invoice.objects.bulk_create(
        [Invoice(organisation=organisation, customer=customer, series=series) for _ in range(count)]
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(invoice=draft, name="Prestation", quantity=Decimal("1"), unit_price=Decimal("100.00"))
            for draft in drafts
        ]
    )
    return [draft.pk for draft in drafts]


def issue_concurrently(draft_ids: list[int], workers: int) -> tuple[list[str], list[BaseException]]:
    """Issue the drafts from ``workers`` threads that take the next id from a shared queue."""
    pending: queue.Queue[int] = queue.Queue()
    for draft_id in draft_ids:
        pending.put(draft_id)
    barrier = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            while True:
                try:
                    draft_id = pending.get_nowait()
                except queue.Empty:
                    return
                numbers.append(issue_invoice(Invoice.objects.get(pk=draft_id), today=DAY).number)
        except BaseException as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return numbers, errors


def in_thread[T](function: Callable[[], T]) -> T:
    """Run ``function`` in a new thread, so that it opens its own database connection."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(function())
        except BaseException as error:  # re-raised below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def stored_state(organisation, series) -> dict[str, Any]:
    issued = Invoice.objects.filter(organisation=organisation, status=InvoiceStatus.ISSUED)
    return {
        "numbers": sorted(issued.values_list("number", flat=True)),
        "drafts": Invoice.objects.filter(organisation=organisation, status=InvoiceStatus.DRAFT).count(),
        "counter": SeriesCounter.objects.get(series=series, period="2026").last_value,
        "chain_failure": verify(organisation).failure,
    }


@pytest.fixture
def series(organisation) -> NumberingSeries:
    return NumberingSeries.objects.create(
        organisation=organisation, name="Ventes", pattern="V-{YYYY}-{NNNN}", reset=ResetPolicy.YEARLY, is_default=True
    )


EXPECTED = ["V-2026-%04d" % value for value in range(1, INVOICES + 1)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_on_sqlite_are_gapless(organisation, customer, series, request):
    draft_ids = make_drafts(organisation, customer, series, INVOICES)
    request.getfixturevalue("sqlite_file_database")

    numbers, errors = issue_concurrently(draft_ids, WORKERS)
    state = in_thread(lambda: stored_state(organisation, series))

    assert errors == []
    assert sorted(numbers) == EXPECTED
    assert state["numbers"] == EXPECTED
    assert state["drafts"] == 0
    assert state["counter"] == INVOICES
    assert state["chain_failure"] is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_on_postgresql_are_gapless(organisation, customer, series):
    draft_ids = make_drafts(organisation, customer, series, INVOICES)

    numbers, errors = issue_concurrently(draft_ids, WORKERS)
    state = stored_state(organisation, series)

    assert errors == []
    assert sorted(numbers) == EXPECTED
    assert state["numbers"] == EXPECTED
    assert state["drafts"] == 0
    assert state["counter"] == INVOICES
    assert state["chain_failure"] is None


@pytest.mark.django_db(transaction=True)
def test_issue_inside_a_transaction_skips_the_queue(organisation, customer, series, request):
    from django.db import transaction

    from ardoise.invoicing.locking import issuing_turn

    draft_ids = make_drafts(organisation, customer, series, 2)
    request.getfixturevalue("sqlite_file_database")
    queue_taken = threading.Event()
    release = threading.Event()
    holder_timed_out: list[bool] = []

    def hold_the_queue() -> None:
        with issuing_turn():
            queue_taken.set()
            # Released only once the issue returns: a timeout means the issue waited for the queue.
            holder_timed_out.append(not release.wait(timeout=10))

    def issue_in_transaction() -> str:
        with transaction.atomic():
            return issue_invoice(Invoice.objects.get(pk=draft_ids[0]), today=DAY).number

    holder = threading.Thread(target=lambda: in_thread(hold_the_queue))
    holder.start()
    queue_taken.wait(timeout=30)
    try:
        number = in_thread(issue_in_transaction)
    finally:
        release.set()
        holder.join()
    assert holder_timed_out == [False]
    assert number == "V-2026-0001"
