"""Three sweeps of the same day at once, each with its own connection, generate and issue each occurrence once."""

from __future__ import annotations

import collections
import datetime
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.jobs.services import SweepReport, run_due
from ardoise.recurring.models import RecurringOccurrence
from ardoise.recurring.tasks import GENERATE_JOB
from tests.jobs.test_concurrency import in_thread
from tests.recurring.conftest import make_plan

SWEEPS = 3
PLANS = 3
OCCURRENCES_PER_PLAN = 2  # weekly: last week's (missed) and today's


def seed_plans(organisation, customer) -> datetime.date:
    today = timezone.localdate()
    for number in range(PLANS):
        make_plan(
            organisation,
            customer,
            name="Abonnement %s" % number,
            frequency="weekly",
            start_date=today - datetime.timedelta(weeks=OCCURRENCES_PER_PLAN - 1),
            occurrences_limit=OCCURRENCES_PER_PLAN,
        )
    return today


def sweep_concurrently(day: datetime.date) -> tuple[list[SweepReport], list[BaseException]]:
    barrier = threading.Barrier(SWEEPS)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            reports.append(run_due(day, [GENERATE_JOB]))
        except BaseException as error:  # collected and checked in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(SWEEPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports, errors


def stored_outcome() -> dict:
    numbers = Invoice.objects.filter(status=InvoiceStatus.ISSUED).values_list("number", flat=True)
    return {
        "per_occurrence": collections.Counter(RecurringOccurrence.objects.values_list("plan_id", "date")),
        "counters": sorted(int(re.search(r"(\d+)$", number).group(1)) for number in numbers),
        "issued_occurrences": RecurringOccurrence.objects.filter(invoice__status=InvoiceStatus.ISSUED).count(),
    }


def check_each_occurrence_once(reports, errors, outcome) -> None:
    invoices = PLANS * OCCURRENCES_PER_PLAN
    assert errors == []
    assert not [failed.text for report in reports for failed in report.failed]
    assert len(outcome["per_occurrence"]) == invoices
    assert set(outcome["per_occurrence"].values()) == {1}
    assert outcome["issued_occurrences"] == invoices
    assert outcome["counters"] == list(range(1, invoices + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_on_postgresql_issue_once(organisation, customer):
    day = seed_plans(organisation, customer)

    reports, errors = sweep_concurrently(day)

    check_each_occurrence_once(reports, errors, stored_outcome())


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_on_sqlite_issue_once(organisation, customer, sqlite_file_database):
    day = in_thread(lambda: seed_plans(organisation, customer))

    reports, errors = sweep_concurrently(day)

    check_each_occurrence_once(reports, errors, in_thread(stored_outcome))
