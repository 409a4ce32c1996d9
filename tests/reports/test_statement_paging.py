"""The statement read a page at a time: each slice's running balance equals the one of the whole statement."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ardoise.customers.models import Customer
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.payments.models import Receipt, ReceiptKind
from ardoise.reports import balances, queries
from ardoise.reports.periods import Period

pytestmark = pytest.mark.django_db

D = Decimal
NOVEMBER = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
# Amounts that floats cannot hold exactly, so that a running sum kept in floats would drift.
AMOUNTS = [D("1234.56"), D("0.10"), D("99.99"), D("0.20"), D("15.35")]


def document(organisation, customer, day, number, amount, *, credits=None) -> Invoice:
    return Invoice.objects.create(
        organisation=organisation,
        customer=customer,
        status=InvoiceStatus.ISSUED,
        type_code=DocumentType.CREDIT_NOTE if credits else DocumentType.INVOICE,
        credited_invoice=credits,
        number=number,
        issue_date=day,
        due_date=day + datetime.timedelta(days=30),
        purchase_order="" if credits else "BC-%s" % number,
        total_with_vat=amount,
        amount_due=amount,
    )


def receipt(organisation, customer, day, amount, *, kind=ReceiptKind.RECEIVED, reverses=None) -> Receipt:
    return Receipt.objects.create(
        organisation=organisation, customer=customer, kind=kind, date=day, amount=amount, reverses=reverses
    )


@pytest.fixture
def busy_customer(organisation, today) -> Customer:
    """A customer with 100 movements in November 2026, three or four a day, and some in October.

    The documents are created from the last day back, so that their ids run
    against their dates: the order must come from the dates.
    """
    customer = Customer.objects.create(organisation=organisation, name="Épicerie Rousseau")
    document(organisation, customer, datetime.date(2026, 10, 3), "F-OCT", D("500.00"))
    receipt(organisation, customer, datetime.date(2026, 10, 20), D("120.45"))

    days = [NOVEMBER.start + datetime.timedelta(days=offset) for offset in range(29, -1, -1)]
    invoices = {}
    for index, day in enumerate(days):
        invoices[day] = document(organisation, customer, day, "F-%02d" % day.day, AMOUNTS[index % 5] * 3)
    for index, day in enumerate(reversed(days)):
        receipt(organisation, customer, day, AMOUNTS[index % 5])
        receipt(organisation, customer, day, AMOUNTS[(index + 2) % 5], kind=ReceiptKind.REFUND)
    for day in days[2::3]:
        document(organisation, customer, day, "A-%02d" % day.day, D("0.30"), credits=invoices[day])
    mistake = receipt(organisation, customer, datetime.date(2026, 11, 12), D("77.70"))
    receipt(organisation, customer, datetime.date(2026, 11, 14), D("-77.70"), reverses=mistake)
    return customer


def test_every_page_continues_the_running_balance(organisation, busy_customer):
    whole = list(queries.statement(organisation, busy_customer, NOVEMBER).lines)
    paged_statement = queries.statement(organisation, busy_customer, NOVEMBER)

    pages = [paged_statement.lines[start : start + 50] for start in range(0, len(whole), 50)]

    assert len(whole) == 30 + 60 + 10 + 2
    assert [line for page in pages for line in page] == whole
    # A page boundary falls between two movements of one day.
    assert whole[49].date == whole[50].date


def test_balance_adds_movements_to_opening(organisation, busy_customer):
    statement = queries.statement(organisation, busy_customer, NOVEMBER)

    running = statement.opening_balance
    for line in statement.lines:
        running += line.debit - line.credit
        assert line.balance == running, line
    aging = queries.customer_balances(organisation, NOVEMBER.end, customer_id=busy_customer.pk).total
    assert statement.opening_balance == D("379.55")
    assert statement.closing_balance == running == aging.net


def test_opening_balance_ignores_later_movements(organisation, busy_customer):
    receipt(organisation, busy_customer, datetime.date(2026, 12, 2), D("45.00"))
    document(organisation, busy_customer, datetime.date(2026, 12, 3), "F-DEC", D("12.34"))

    statement = queries.statement(organisation, busy_customer, NOVEMBER)

    october_end = balances.net_total(organisation, datetime.date(2026, 10, 31), "EUR", busy_customer.pk)
    aging = queries.customer_balances(organisation, NOVEMBER.end, customer_id=busy_customer.pk).total
    assert statement.opening_balance == october_end == D("379.55")
    assert statement.closing_balance == aging.net


def test_lines_are_in_date_order_documents_first(organisation, busy_customer):
    lines = list(queries.statement(organisation, busy_customer, NOVEMBER).lines)

    order = [(line.date, line.receipt_id is not None) for line in lines]
    assert order == sorted(order)
    assert lines[0].label == "Facture F-01"
    assert lines[1].label == "Avoir A-01"
    assert lines[1].reference == "sur la facture F-01"
    assert "Annulation du règlement du 12/11/2026" in [line.label for line in lines]


def test_single_lines_and_totals(organisation, busy_customer):
    whole = queries.statement(organisation, busy_customer, NOVEMBER)
    lines = list(whole.lines)
    statement = queries.statement(organisation, busy_customer, NOVEMBER)

    assert statement.lines[50] == lines[50]
    assert statement.lines[-1] == lines[-1]
    assert statement.lines[200:] == []
    assert (statement.total_debit, statement.total_credit) == (whole.total_debit, whole.total_credit)
    assert statement.total_debit == sum((line.debit for line in lines), D("0.00"))
    with pytest.raises(IndexError):
        statement.lines[len(lines)]


def test_prefetched_page_brings_count_and_totals(organisation, busy_customer):
    whole = queries.statement(organisation, busy_customer, NOVEMBER)
    lines = list(whole.lines)
    statement = queries.statement(organisation, busy_customer, NOVEMBER)
    statement.lines.prefetch_page(99, 50)

    with CaptureQueriesContext(connection) as run:
        count = len(statement.lines)
        last = statement.lines[99:102]
        totals = (statement.total_debit, statement.total_credit)

    ledger_queries = [query["sql"] for query in run.captured_queries if "OVER (" in query["sql"]]
    assert count == len(lines)
    assert last == lines[99:]
    assert totals == (whole.total_debit, whole.total_credit)
    assert len(ledger_queries) == 1
    assert not any(query["sql"].startswith("SELECT COUNT(*)") for query in run.captured_queries)


def test_prefetch_past_the_end_falls_back(organisation, busy_customer):
    lines = list(queries.statement(organisation, busy_customer, NOVEMBER).lines)
    statement = queries.statement(organisation, busy_customer, NOVEMBER)
    statement.lines.prefetch_page(500, 50)

    assert len(statement.lines) == len(lines)
    assert statement.lines[50:52] == lines[50:52]


def test_screen_pages_and_export_share_the_balances(owner_client, organisation, busy_customer):
    lines = list(queries.statement(organisation, busy_customer, NOVEMBER).lines)
    query = {"client": busy_customer.pk, "du": "2026-11-01", "au": "2026-11-30"}

    first = owner_client.get(reverse("reports:statement"), query).context["rows"]
    second = owner_client.get(reverse("reports:statement"), {**query, "page": "2"}).context["rows"]
    export = owner_client.get(reverse("reports:statement"), {**query, "format": "csv"})

    # The opening balance is the first row of page 1, so each page shows the lines 49 to 98, 99 to 148…
    assert first.object_list[0].cells[1] == "Solde à l'ouverture"
    assert [row.cells[6] for row in first.object_list[1:]] == [line.balance for line in lines[:49]]
    assert [row.cells[6] for row in second.object_list] == [line.balance for line in lines[49:99]]
    rows = export.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 1 + len(lines) + 1
    assert rows[-2].endswith(";%s" % str(lines[-1].balance).replace(".", ","))


def test_xlsx_export_lists_every_line(owner_client, organisation, busy_customer):
    lines = list(queries.statement(organisation, busy_customer, NOVEMBER).lines)
    query = {"client": busy_customer.pk, "du": "2026-11-01", "au": "2026-11-30", "format": "xlsx"}

    response = owner_client.get(reverse("reports:statement"), query)

    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 1 + len(lines) + 1
    assert [Decimal(str(row[6])) for row in rows[2:-1]] == [line.balance for line in lines]
