"""The report tables copy each issued document's VAT breakdown and net amounts, and refill missing rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ardoise.core.document import InvoiceDocument
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.models import Payment
from ardoise.payments.services import reverse_payment
from ardoise.reports import monthly, queries
from ardoise.reports.breakdowns import fill_missing, in_euros
from ardoise.reports.models import RevenueRow, VatBreakdownRow
from ardoise.reports.periods import Period

pytestmark = pytest.mark.django_db

D = Decimal


def test_rows_add_up_to_each_document_totals(autumn):
    for document in Invoice.objects.filter(organisation=autumn.organisation).issued():
        sign = -1 if document.is_credit_note else 1
        vat_rows = VatBreakdownRow.objects.filter(invoice=document)
        revenue_rows = RevenueRow.objects.filter(invoice=document)

        assert sum(row.taxable_amount for row in vat_rows) == sign * document.total_without_vat, document.number
        assert sum(row.tax_amount for row in vat_rows) == sign * document.total_vat, document.number
        assert sum(row.net_amount for row in revenue_rows) == sign * document.total_without_vat, document.number


def test_rows_copy_the_printed_breakdown(autumn):
    rows = {(row.rate, row.taxable_amount, row.tax_amount) for row in VatBreakdownRow.objects.filter(invoice=autumn.f1)}

    assert rows == {(D("20.00"), D("650.00"), D("130.00")), (D("5.50"), D("85.31"), D("4.69"))}


def test_dollar_rows_match_vat_in_euros(autumn):
    rows = VatBreakdownRow.objects.filter(invoice=autumn.f5)
    document = InvoiceDocument.from_json(autumn.f5.document)

    assert sum(row.tax_amount_eur for row in rows) == document.vat_total_eur == D("184.00")
    assert sum(row.taxable_amount_eur for row in rows) == D("920.00")
    assert sum(row.net_amount_eur for row in RevenueRow.objects.filter(invoice=autumn.f5)) == D("920.00")


def test_drafts_get_no_rows(autumn):
    assert not VatBreakdownRow.objects.filter(invoice=autumn.draft).exists()
    assert not RevenueRow.objects.filter(invoice=autumn.draft).exists()


def test_missing_rows_are_filled_before_a_report(autumn, today):
    period = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    before = queries.revenue(autumn.organisation, period, "produit").total
    VatBreakdownRow.objects.filter(invoice__in=[autumn.f1, autumn.a1]).delete()
    RevenueRow.objects.filter(invoice__in=[autumn.f1, autumn.a1]).delete()
    # Totals computed while the rows are missing, as for documents issued before the report tables existed.
    monthly.rebuild(autumn.organisation)

    after = queries.revenue(autumn.organisation, period, "produit").total

    assert after == before
    assert VatBreakdownRow.objects.filter(invoice=autumn.f1).count() == 2
    assert (
        queries.revenue(autumn.organisation, period).total
        == queries.revenue(autumn.organisation, period, "client").total
    )


def test_fill_missing_is_idempotent(autumn):
    counts = (VatBreakdownRow.objects.count(), RevenueRow.objects.count())

    assert fill_missing(autumn.organisation) == 0
    assert (VatBreakdownRow.objects.count(), RevenueRow.objects.count()) == counts


def test_document_without_snapshot_uses_its_stored_totals(organisation, customer):
    invoice = Invoice.objects.create(
        organisation=organisation,
        customer=customer,
        status="issued",
        number="F-2026-0099",
        issue_date=datetime.date(2026, 10, 1),
        due_date=datetime.date(2026, 10, 31),
        total_without_vat=D("1000.00"),
        total_vat=D("200.00"),
        total_with_vat=D("1200.00"),
        amount_due=D("1200.00"),
    )

    row = VatBreakdownRow.objects.get(invoice=invoice)
    assert (row.rate, row.taxable_amount, row.tax_amount) == (D("20.00"), D("1000.00"), D("200.00"))


@pytest.mark.parametrize(
    ("amounts", "total", "rate", "target"),
    [
        ([D("33.33"), D("33.33"), D("33.34")], D("100.00"), D("0.921456"), None),
        ([D("0.01"), D("0.01"), D("0.01")], D("0.03"), D("0.5"), None),
        ([D("100.00"), D("-10.00")], D("90.00"), D("1.333333"), None),
        ([D("19.99"), D("1.10")], D("21.09"), D("0.921456"), D("19.44")),
    ],
)
def test_conversion_in_euros_adds_up_to_converted_total(amounts, total, rate, target):
    parts = in_euros(amounts, total, rate, target=target)

    expected = target if target is not None else (total * rate).quantize(D("0.01"))
    assert sum(parts, D("0")) == expected


# Balances of settled invoices after a later movement


def test_reversal_reopens_a_settled_invoice(autumn, today):
    payment = Payment.objects.get(invoice=autumn.f3)

    reverse_payment(payment)

    rows = {row.customer_name: row for row in queries.customer_balances(autumn.organisation, today).rows}
    durand = rows["Cabinet Durand & Associés"]
    assert durand.open_amount == D("1670.00")
    # The receipt kept 230,00 of credit, so only the payment is reversed: its 1 670,00 goes back to credit.
    assert durand.credit == D("1900.00")
    assert durand.net == D("-230.00")


def test_past_dates_ignore_settlements_that_came_later(autumn, today):
    rows = {
        row.customer_name: row
        for row in queries.customer_balances(autumn.organisation, datetime.date(2026, 11, 20)).rows
    }

    # On 20/11, F3 was not paid yet.
    assert rows["Cabinet Durand & Associés"].not_due == D("1670.00")


def test_credit_note_on_settled_invoice_is_owed_back(autumn, today):
    draft = create_credit_note(autumn.f3, {2: Decimal("1")})

    issue_invoice(draft, today=today)

    rows = {row.customer_name: row for row in queries.customer_balances(autumn.organisation, today).rows}
    # The travel costs (110,00 TTC) are credited on a paid invoice: the business owes them back.
    assert rows["Cabinet Durand & Associés"].owed_to_customer == D("110.00")
