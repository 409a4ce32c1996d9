"""The entries of the autumn of tests/reports/conftest.py, worked out on paper, and their FEC."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest

from ardoise.accounting import fec
from ardoise.accounting.entries import AccountingError, FiscalYear, build_entries
from ardoise.accounting.models import AccountingSettings, CustomerAccount, ProductAccount, VatRateAccounts
from ardoise.accounting.services import export_fec
from ardoise.invoicing.models import DiscountKind, Invoice, InvoiceLine, InvoiceStatus
from ardoise.invoicing.services import issue_invoice, refresh_totals
from ardoise.payments.services import receive_payment
from ardoise.reports import queries
from ardoise.reports.periods import Period
from tests.reports.conftest import on

YEAR = FiscalYear(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def entries_of(autumn):
    return build_entries(autumn.organisation, YEAR.start, YEAR.end)


def entry_for(entries, piece_ref):
    return next(entry for entry in entries if entry.piece_ref == piece_ref)


def movements(entry):
    """Return (account, debit, credit) for each line, amounts as strings."""
    return [(line.account, str(line.debit), str(line.credit)) for line in entry.lines]


def test_invoice_entry_splits_revenue_and_vat(autumn):
    entry = entry_for(entries_of(autumn), autumn.f1.number)

    assert entry.journal == "VE"
    assert entry.date == datetime.date(2026, 9, 1)
    assert movements(entry) == [
        ("411", "870.00", "0.00"),
        ("706", "0.00", "650.00"),
        ("707", "0.00", "85.31"),
        ("44571", "0.00", "130.00"),
        ("44571", "0.00", "4.69"),
    ]
    assert entry.lines[0].auxiliary == "C%05d" % autumn.martin.pk
    assert entry.lines[0].auxiliary_label == "Boulangerie Martin SAS"


def test_credit_note_entry_reverses_sides(autumn):
    entry = entry_for(entries_of(autumn), autumn.a1.number)

    assert movements(entry) == [("411", "0.00", "390.00"), ("706", "325.00", "0.00"), ("44571", "65.00", "0.00")]


def test_foreign_invoice_converted_with_currency(autumn):
    entry = entry_for(entries_of(autumn), autumn.f5.number)

    assert movements(entry) == [("411", "1104.00", "0.00"), ("706", "0.00", "920.00"), ("44571", "0.00", "184.00")]
    assert [line.currency_amount for line in entry.lines] == [
        Decimal("1200.00"),
        Decimal("-1000.00"),
        Decimal("-200.00"),
    ]
    assert {line.currency for line in entry.lines} == {"USD"}


def test_receipt_refund_and_reversal_entries(autumn):
    bank = [entry for entry in entries_of(autumn) if entry.journal == "BQ"]
    by_date = {entry.date: movements(entry) for entry in bank}

    assert by_date[datetime.date(2026, 8, 1)] == [("512", "200.00", "0.00"), ("411", "0.00", "200.00")]
    assert by_date[datetime.date(2026, 8, 5)] == [("512", "0.00", "200.00"), ("411", "200.00", "0.00")]
    assert by_date[datetime.date(2026, 11, 25)] == [("512", "2000.00", "0.00"), ("411", "0.00", "2000.00")]
    assert by_date[datetime.date(2026, 11, 30)] == [("512", "552.00", "0.00"), ("411", "0.00", "552.00")]
    assert by_date[datetime.date(2026, 12, 1)] == [("411", "100.00", "0.00"), ("512", "0.00", "100.00")]


def test_every_entry_balances(autumn):
    entries = entries_of(autumn)

    assert len(entries) == 16
    assert [entry.number for entry in entries if entry.journal == "VE"] == ["VE%06d" % rank for rank in range(1, 8)]
    for entry in entries:
        assert entry.balance() == 0, entry.piece_ref


def test_only_settled_group_is_lettered(autumn):
    entries = entries_of(autumn)
    lettered = {
        (entry.piece_ref, line.letter, line.letter_date) for entry in entries for line in entry.lines if line.letter
    }

    refs = {ref for ref, _letter, _date in lettered}
    # F1 is paid 300 + 570, credited 30 by A2, and A2 is refunded 30: the group nets to zero.
    assert {autumn.f1.number, autumn.a2.number} <= refs
    assert len(refs) == 5
    assert {letter for _ref, letter, _date in lettered} == {"A"}
    assert {date for _ref, _letter, date in lettered} == {datetime.date(2026, 11, 12)}
    assert not refs & {autumn.f2.number, autumn.f3.number, autumn.f4.number, autumn.f5.number}


def test_totals_match_documents_and_reports(autumn):
    """Add up the accounts independently: customers from the documents, revenue and VAT from the reports."""
    balances = defaultdict(Decimal)
    for entry in entries_of(autumn):
        if entry.journal == "VE":
            for line in entry.lines:
                balances[line.account] += line.amount

    issued = Invoice.objects.filter(organisation=autumn.organisation, status=InvoiceStatus.ISSUED)
    expected_customers = Decimal("0")
    for document in issued:
        rate = document.exchange_rate or Decimal("1")
        amount = (document.total_with_vat * rate).quantize(Decimal("0.01"))
        expected_customers += -amount if document.is_credit_note else amount
    assert balances["411"] == expected_customers

    vat = queries.vat_collected(autumn.organisation, Period(YEAR.start, YEAR.end))
    assert -balances["44571"] == vat.total.debits_vat
    revenue = queries.revenue(autumn.organisation, Period(YEAR.start, YEAR.end))
    assert -(balances["706"] + balances["707"]) == revenue.total.net


def test_account_overrides(autumn):
    AccountingSettings.objects.create(organisation=autumn.organisation, customer_account="411000", sales_journal="VT")
    VatRateAccounts.objects.create(
        organisation=autumn.organisation, rate=Decimal("5.50"), goods_revenue_account="7071", vat_account="445711"
    )
    ProductAccount.objects.create(product=autumn.development, revenue_account="70611")
    CustomerAccount.objects.create(customer=autumn.martin, code="CMARTIN")

    entry = entry_for(entries_of(autumn), autumn.f1.number)

    assert entry.number == "VT000002"
    assert movements(entry) == [
        ("411000", "870.00", "0.00"),
        ("70611", "0.00", "650.00"),
        ("7071", "0.00", "85.31"),
        ("44571", "0.00", "130.00"),
        ("445711", "0.00", "4.69"),
    ]
    assert entry.lines[0].auxiliary == "CMARTIN"


def issue_with_discount(organisation, customer, lines, percent):
    """Issue an invoice on 2 March 2026 with a global discount; each line is (name, price, is_service, product)."""
    invoice = Invoice.objects.create(
        organisation=organisation,
        customer=customer,
        discount_kind=DiscountKind.PERCENT,
        discount_value=Decimal(percent),
    )
    for position, (name, price, is_service, product) in enumerate(lines, start=1):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            product=product,
            name=name,
            unit_price=Decimal(price),
            vat_rate=Decimal("20.00"),
            is_service=is_service,
        )
    refresh_totals(invoice)
    with on(datetime.date(2026, 3, 2)):
        return issue_invoice(invoice, today=datetime.date(2026, 3, 2))


def test_global_discount_spread_over_accounts(organisation, customer, product):
    ProductAccount.objects.create(product=product, revenue_account="70611")
    document = issue_with_discount(
        organisation,
        customer,
        [("Conseil", "100.01", True, None), ("Matériel", "100.01", False, None), ("Site", "100.01", True, product)],
        "10",
    )

    entry = build_entries(organisation, YEAR.start, YEAR.end)[0]

    assert document.total_without_vat == Decimal("270.03")
    assert movements(entry) == [
        ("411", "324.04", "0.00"),
        ("706", "0.00", "90.01"),
        ("707", "0.00", "90.01"),
        ("70611", "0.00", "90.01"),
        ("44571", "0.00", "54.01"),
    ]
    assert entry.balance() == 0


def test_fiscal_year_closing_in_june():
    year = FiscalYear.closing_in(2026, 6)

    assert year.start == datetime.date(2025, 7, 1)
    assert year.end == datetime.date(2026, 6, 30)


def test_export_needs_siren(autumn):
    autumn.organisation.siren = ""
    autumn.organisation.save()

    with pytest.raises(AccountingError, match="SIREN"):
        export_fec(autumn.organisation, 2026)


def test_foreign_receipt_without_rate_is_refused(autumn):
    with on(datetime.date(2026, 12, 2)):
        receive_payment(autumn.petit, Decimal("50.00"), datetime.date(2026, 12, 2), currency="CHF")

    with pytest.raises(AccountingError, match="Claire Petit est en CHF"):
        entries_of(autumn)


def test_exported_file_passes_the_check(autumn):
    export = export_fec(autumn.organisation, 2026)
    report = fec.check(export.content, export.filename)

    assert export.filename == "732829320FEC20261231.txt"
    assert report.ok, report.problems
    assert report.entries == 16
    assert report.debit == report.credit
