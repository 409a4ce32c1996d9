"""The monthly totals kept up by every write equal a rebuild, and the reports read from them equal the documents."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.models import Payment, Receipt
from ardoise.payments.services import (
    apply_credit,
    receive_payment,
    record_payment,
    refund_credit,
    reverse_payment,
    reverse_receipt,
)
from ardoise.reports import monthly, queries
from ardoise.reports.models import (
    MonthlyInvoicing,
    MonthlyProductRevenue,
    MonthlyReceipts,
    MonthlyRevenue,
    MonthlyVat,
)
from ardoise.reports.periods import Grouping, Period
from tests.reports.conftest import issue, on

D = Decimal
FIRST_DAY = datetime.date(2026, 7, 20)
ACTIONS = ("issue", "issue_usd", "pay", "pay", "receive", "reverse", "undo", "credit", "refund", "apply")

pytestmark = pytest.mark.django_db


def monthly_rows(organisation) -> dict[str, dict]:
    """Return every monthly total of the organisation, keyed by table and key, with exact amounts."""
    tables = {}
    for model in (MonthlyRevenue, MonthlyProductRevenue, MonthlyVat, MonthlyInvoicing, MonthlyReceipts):
        key_names = monthly.KEYS[model]
        rows = {}
        for row in model.objects.filter(organisation=organisation).values():
            key = tuple(row[name] for name in key_names)
            figures = {
                name: D(value).quantize(D("0.01")) if not isinstance(value, int) else value
                for name, value in row.items()
                if name not in (*key_names, "id", "organisation_id")
            }
            # A row whose additions cancelled out equals no row at all.
            if any(figures.values()):
                rows[key] = figures
        tables[model.__name__] = rows
    return tables


def assert_matches_rebuild(organisation) -> None:
    incremental = monthly_rows(organisation)
    monthly.rebuild(organisation)
    fresh = monthly_rows(organisation)
    for table in incremental:
        assert incremental[table] == fresh[table], table


def run(action: str, number: int, organisation, customer, product, invoices: list[Invoice], day) -> None:
    """Run one write through the services, as a user would. The services may reject it."""
    amount = D(number % 50000 + 1) / 100
    documents = [invoice for invoice in invoices if not invoice.is_credit_note]
    notes = [invoice for invoice in invoices if invoice.is_credit_note]
    if action in ("issue", "issue_usd") or not documents:
        lines = [("Prestation", str(number % 5 + 1), str(number % 300 + 10), "20.00", product)]
        if number % 3 == 0:
            lines.append(("Livre", "2", "12.35", "5.50", None))
        if action == "issue_usd":
            invoices.append(issue(organisation, customer, lines, day, currency="USD", exchange_rate=D("0.920000")))
        else:
            invoices.append(issue(organisation, customer, lines, day))
        return
    target = documents[number % len(documents)]
    with on(day):
        if action == "pay":
            record_payment(target, amount, day)
        elif action == "receive":
            receive_payment(customer, amount, day, allocations=[(target, min(amount, target.amount_due))])
        elif action == "reverse":
            payments = Payment.objects.filter(invoice__in=invoices, reverses__isnull=True, reversal__isnull=True)
            if payments:
                reverse_payment(payments[number % len(payments)])
        elif action == "undo":
            receipts = Receipt.objects.filter(customer=customer, reverses__isnull=True, reversal__isnull=True)
            if receipts:
                reverse_receipt(receipts[number % len(receipts)])
        elif action == "credit":
            draft = create_credit_note(target, {1: D("1")})
            invoices.append(issue_invoice(draft, today=day))
        elif action == "refund":
            if notes:
                record_payment(notes[number % len(notes)], amount, day)
            else:
                refund_credit(customer, amount, day)
        elif action == "apply":
            apply_credit(target)


writes = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=0, max_value=10**6), st.integers(0, 20)),
    min_size=4,
    max_size=14,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=writes)
def test_random_writes_keep_monthly_totals_exact(organisation, customer, product, steps):
    with transaction.atomic():
        invoices: list[Invoice] = []
        day = FIRST_DAY
        for action, number, days_later in steps:
            # Writes go forward in time over several months, some on the same day.
            day += datetime.timedelta(days=days_later)
            try:
                run(action, number, organisation, customer, product, invoices, day)
            except InvoicingError as error:
                # A write the services refuse (more than the balance, nothing to credit) changes nothing.
                assert str(error)
        assert_matches_rebuild(organisation)
        transaction.set_rollback(True)


def test_autumn_totals_match_rebuild(autumn):
    assert_matches_rebuild(autumn.organisation)


def test_rebuild_command_rewrites_monthly_totals(autumn, today):
    kept = monthly_rows(autumn.organisation)
    MonthlyVat.objects.filter(organisation=autumn.organisation).delete()

    output = io.StringIO()
    call_command("report", "--organisation", str(autumn.organisation.pk), "rebuild", stdout=output)

    assert monthly_rows(autumn.organisation) == kept
    assert output.getvalue() == "Tables des rapports reconstruites : 7 documents émis recalculés.\n"


def from_documents(monkeypatch) -> None:
    """Make the reports compute every month from the documents, as if no month of a period were whole."""
    monkeypatch.setattr(monthly, "split_period", lambda period: (None, [period]))


@pytest.mark.parametrize(
    "period",
    [
        Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
        Period(datetime.date(2026, 9, 14), datetime.date(2026, 11, 20)),
        Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)),
    ],
)
def test_reports_from_monthly_totals_equal_documents(autumn, today, monkeypatch, period):
    organisation = autumn.organisation
    kept = (
        queries.revenue(organisation, period, Grouping.QUARTER),
        queries.revenue(organisation, period, "produit"),
        queries.receipts(organisation, period, Grouping.MONTH),
        queries.days_sales_outstanding(organisation, period),
        queries.vat_collected(organisation, period),
    )

    from_documents(monkeypatch)
    computed = (
        queries.revenue(organisation, period, Grouping.QUARTER),
        queries.revenue(organisation, period, "produit"),
        queries.receipts(organisation, period, Grouping.MONTH),
        queries.days_sales_outstanding(organisation, period),
        queries.vat_collected(organisation, period),
    )

    for report, expected in zip(kept, computed, strict=True):
        assert report == expected


def test_whole_and_cut_months_split():
    period = Period(datetime.date(2026, 1, 15), datetime.date(2026, 4, 10))

    assert monthly.split_period(period) == (
        Period(datetime.date(2026, 2, 1), datetime.date(2026, 3, 31)),
        [
            Period(datetime.date(2026, 1, 15), datetime.date(2026, 1, 31)),
            Period(datetime.date(2026, 4, 1), datetime.date(2026, 4, 10)),
        ],
    )
    assert monthly.split_period(Period(datetime.date(2026, 1, 15), datetime.date(2026, 2, 10))) == (
        None,
        [Period(datetime.date(2026, 1, 15), datetime.date(2026, 2, 10))],
    )
    assert monthly.split_period(Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))) == (
        Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)),
        [],
    )
