"""Balance reports read one page at a time, and must agree with the full computation.

On a date after every movement, a page picks its customers from the stored
balances and computes only theirs. On an earlier date, one query computes
every balance once, picks the page's customers and adds up only theirs.
The full computation groups every open balance per customer. All must give
the same rows, in the same order, with the same count and totals.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest

from ardoise.customers.models import Customer, CustomerKind
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.models import Receipt, ReceiptKind
from ardoise.payments.services import receive_payment, record_payment
from ardoise.reports import queries
from tests.reports.conftest import issue, on

D = Decimal


def both_ways(organisation, as_of: datetime.date, currency: str = "EUR"):
    stored = queries.customer_balances(organisation, as_of, currency)
    full = queries.customer_balances(organisation, as_of, currency)
    full.rows.current = False
    return stored, full


def assert_same_report(organisation, as_of: datetime.date, currency: str = "EUR") -> None:
    stored, full = both_ways(organisation, as_of, currency)
    assert stored.rows.current
    everyone = list(full.rows)
    assert len(stored.rows) == len(everyone)
    assert stored.total == full.total
    for size in (1, 2, 5):
        stored, _full = both_ways(organisation, as_of, currency)
        paged = [row for start in range(0, len(everyone), size) for row in stored.rows[start : start + size]]
        assert paged == everyone
    for offset in (0, 1, 3):
        stored, _full = both_ways(organisation, as_of, currency)
        stored.rows.prefetch_page(offset, 2)
        assert len(stored.rows) == len(everyone)
        assert stored.rows[offset : offset + 2] == everyone[offset : offset + 2]
        assert stored.total == full.total
    stored, full = both_ways(organisation, as_of, currency)
    assert stored.total == full.total
    assert len(stored.rows) == len(everyone)
    for count in (1, 2, 10):
        stored, full = both_ways(organisation, as_of, currency)
        assert stored.rows.largest(count) == full.rows.largest(count)
        stored, full = both_ways(organisation, as_of, currency)
        assert stored.rows.largest_nets(count) == full.rows.largest_nets(count)


def assert_same_pages_on_date(organisation, as_of: datetime.date) -> None:
    """On a date before some movements, each page of one query equals the same rows out of the full computation."""
    full = queries.customer_balances(organisation, as_of)
    assert full.rows.paged_on_date
    everyone = list(full.rows)
    total = full.total
    for size in (1, 2, 5):
        paged = []
        for start in range(0, len(everyone) + size, size):
            report = queries.customer_balances(organisation, as_of)
            report.rows.prefetch_page(start, size)
            paged += report.rows[start : start + size]
            assert len(report.rows) == len(everyone)
            assert report.total == total
        assert paged == everyone


@pytest.mark.parametrize("as_of", [datetime.date(2026, 12, 1), datetime.date(2026, 12, 10), datetime.date(2027, 3, 1)])
def test_stored_path_equals_full_computation(autumn, as_of):
    assert_same_report(autumn.organisation, as_of)
    assert_same_report(autumn.organisation, as_of, "USD")


def new_customer(organisation, name: str) -> Customer:
    return Customer.objects.create(
        organisation=organisation,
        kind=CustomerKind.INDIVIDUAL,
        name=name,
        email="compta@example.fr",
        address_line1="1 rue",
        postcode="69001",
        city="Lyon",
    )


def test_stored_path_on_random_operations(organisation, product):
    rng = random.Random(4212)
    today = datetime.date(2026, 12, 10)
    customers = [
        new_customer(organisation, name)
        for name in ("Boulangerie Martin", "atelier Bois", "Zinc & Co", "École Jules Ferry", "Abeille SARL", "Garage")
    ]
    invoices = []
    # Numbering is chronological: the operations run in date order.
    for day in sorted(today - datetime.timedelta(days=rng.randint(0, 200)) for _step in range(80)):
        customer = rng.choice(customers)
        action = rng.choice(["issue", "issue", "pay", "receive", "credit"])
        try:
            with on(day):
                if action == "issue" or not invoices:
                    lines = [("Prestation", str(rng.randint(1, 4)), str(rng.randint(20, 900)), "20.00", product)]
                    invoices.append(issue(organisation, customer, lines, day))
                elif action == "pay":
                    invoice = rng.choice(invoices)
                    record_payment(invoice, D(rng.randint(1, 60000)) / 100, max(day, invoice.issue_date))
                elif action == "receive":
                    receive_payment(customer, D(rng.randint(100, 90000)) / 100, day)
                else:
                    invoice = rng.choice([invoice for invoice in invoices if not invoice.is_credit_note])
                    draft = create_credit_note(invoice, {1: D("1")})
                    invoices.append(issue_invoice(draft, today=max(day, invoice.issue_date)))
        except InvoicingError as error:
            # An operation the services refuse changes nothing.
            assert str(error)
    assert len(list(queries.customer_balances(organisation, today).rows)) >= 4
    assert_same_report(organisation, today)
    assert_same_report(organisation, today + datetime.timedelta(days=45))
    # The expected receipts read each open invoice's delay from its stored balance, or join the accounts.
    for day in (today, today + datetime.timedelta(days=45)):
        stored = queries.expected_receipts(organisation, day, current=True)
        assert stored == queries.expected_receipts(organisation, day, current=False)
    # Earlier dates take later months back out through the monthly rows: each account as it stood.
    for days in (0, 1, 9, 31, 45, 77, 120, 199, 230):
        as_of = today - datetime.timedelta(days=days)
        if days:
            assert_same_pages_on_date(organisation, as_of)
        nets = {row.customer_id: row.net for row in queries.customer_balances(organisation, as_of).rows}
        for customer in customers:
            assert nets.get(customer.pk, D("0.00")) == account_on(customer, as_of), (customer.name, as_of)


def test_accounts_on_dates_before_after_and_between_movements(organisation, product):
    """A month's closing serves every date: before a customer's first movement, after their last, and between."""
    early, late = (new_customer(organisation, name) for name in ("Boulangerie Martin", "Zinc & Co"))
    lines = [("Prestation", "1", "500.00", "20.00", product)]
    with on(datetime.date(2026, 6, 10)):
        issue(organisation, early, lines, datetime.date(2026, 6, 10))
    with on(datetime.date(2026, 6, 20)):
        receive_payment(early, D("250.00"), datetime.date(2026, 6, 20))
    # On the first of a month: the movements from that day on are added to the previous month's closing.
    with on(datetime.date(2026, 8, 1)):
        receive_payment(early, D("100.00"), datetime.date(2026, 8, 1))
    with on(datetime.date(2026, 10, 5)):
        issue(organisation, late, lines, datetime.date(2026, 10, 5))
    dates = [datetime.date(2026, 5, 31), datetime.date(2026, 6, 1), datetime.date(2026, 6, 15)]
    dates += [datetime.date(2026, 6, 30), datetime.date(2026, 7, 14), datetime.date(2026, 7, 31)]
    dates += [datetime.date(2026, 8, 1), datetime.date(2026, 8, 2), datetime.date(2026, 8, 20)]
    dates += [datetime.date(2026, 10, 4), datetime.date(2026, 10, 16), datetime.date(2026, 11, 30)]
    # Seen from December and from a later year: the current month reads the accounts, the others a closing.
    for today in (datetime.date(2026, 12, 5), datetime.date(2027, 2, 10)):
        with on(today):
            for as_of in dates:
                nets = {row.customer_id: row.net for row in queries.customer_balances(organisation, as_of).rows}
                for customer in (early, late):
                    expected = account_on(customer, as_of)
                    assert nets.get(customer.pk, D("0.00")) == expected, (customer.name, as_of, today)


def account_on(customer, as_of: datetime.date) -> Decimal:
    """Return the customer's account balance (411) on ``as_of``, added up from the documents and receipts."""
    total = D("0.00")
    for document in Invoice.objects.filter(customer=customer, status=InvoiceStatus.ISSUED, issue_date__lte=as_of):
        total += -document.amount_due if document.is_credit_note else document.amount_due
    for receipt in Receipt.objects.filter(customer=customer, date__lte=as_of):
        total += -receipt.amount if receipt.kind == ReceiptKind.RECEIVED else receipt.amount
    return total


def durand_net(autumn, as_of: datetime.date) -> Decimal:
    rows = queries.customer_balances(autumn.organisation, as_of).rows
    return next(row.net for row in rows if row.customer_id == autumn.durand.pk)


def test_later_movement_uses_full_computation(autumn):
    as_of = datetime.date(2026, 12, 10)
    before = durand_net(autumn, as_of)
    with on(datetime.date(2026, 12, 20)):
        receive_payment(autumn.durand, D("50.00"), datetime.date(2026, 12, 20))

    stored, full = both_ways(autumn.organisation, as_of)

    assert not stored.rows.current
    assert list(stored.rows) == list(full.rows)
    assert_same_pages_on_date(autumn.organisation, as_of)
    assert durand_net(autumn, as_of) == before
    assert durand_net(autumn, datetime.date(2026, 12, 20)) == before - D("50.00")
