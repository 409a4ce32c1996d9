"""VAT on encaissements: each payment's share is rounded on its own, and a paid invoice gives exactly its VAT.

The test writes an issued invoice with several VAT groups and a random series
of partial payments straight into the database. It compares the report with
an independent computation in Python of each payment's share of each group:
round(VAT × paid so far ÷ total) − round(VAT × paid before ÷ total).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.payments.models import Payment, Receipt
from ardoise.reports import queries
from ardoise.reports.models import VatBreakdownRow
from ardoise.reports.periods import Period

CENT = Decimal("0.01")
ISSUE_DAY = datetime.date(2026, 1, 5)
RATES = [Decimal("20.00"), Decimal("10.00"), Decimal("5.50")]


def cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def share(amount: Decimal, paid: Decimal, total: Decimal) -> Decimal:
    """round(amount × paid ÷ total), half away from zero, as the report promises."""
    return (amount * paid / total).quantize(CENT, rounding=ROUND_HALF_UP)


groups = st.lists(st.integers(min_value=100, max_value=2_000_000), min_size=1, max_size=3)


@st.composite
def invoices_with_payments(draw):
    """Return (bases in cents per rate, payment amounts in cents adding up to the total, one per day)."""
    bases = draw(groups)
    vat = [
        (cents(base) * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        for base, rate in zip(bases, RATES[: len(bases)], strict=True)
    ]
    total = sum((cents(base) for base in bases), Decimal(0)) + sum(vat, Decimal(0))
    total_cents = int(total * 100)
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=total_cents - 1), max_size=6, unique=True)))
    bounds = [0, *cuts, total_cents]
    payments = [cents(bounds[index + 1] - bounds[index]) for index in range(len(bounds) - 1)]
    return bases, vat, total, payments


def build(organisation, customer, bases, vat, total, payments):
    invoice = Invoice.objects.create(
        organisation=organisation,
        customer=customer,
        status=InvoiceStatus.ISSUED,
        number="P-%s" % Invoice.objects.count(),
        issue_date=ISSUE_DAY,
        due_date=ISSUE_DAY,
        total_without_vat=sum((cents(base) for base in bases), Decimal(0)),
        total_vat=sum(vat, Decimal(0)),
        total_with_vat=total,
        amount_due=total,
    )
    # Replace the single row inferred from the totals by the real breakdown.
    VatBreakdownRow.objects.filter(invoice=invoice).delete()
    for base, tax, rate in zip(bases, vat, RATES[: len(bases)], strict=True):
        VatBreakdownRow.objects.create(
            organisation=organisation,
            invoice=invoice,
            customer=customer,
            issue_date=ISSUE_DAY,
            currency="EUR",
            category="S",
            rate=rate,
            taxable_amount=cents(base),
            tax_amount=tax,
            taxable_amount_eur=cents(base),
            tax_amount_eur=tax,
        )
    for day, amount in enumerate(payments, start=1):
        date = ISSUE_DAY + datetime.timedelta(days=day)
        receipt = Receipt.objects.create(organisation=organisation, customer=customer, date=date, amount=amount)
        Payment.objects.create(organisation=organisation, invoice=invoice, receipt=receipt, date=date, amount=amount)
    return invoice


def vat_per_rate(organisation, period):
    report = queries.vat_collected(organisation, period)
    return {row.rate: (row.receipts_base, row.receipts_vat) for row in report.rows}


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=invoices_with_payments(), split=st.integers(min_value=0, max_value=7))
def test_vat_on_receipts_rounds_each_payment(organisation, customer, data, split):
    bases, vat, total, payments = data
    with transaction.atomic():
        build(organisation, customer, bases, vat, total, payments)
        cut = ISSUE_DAY + datetime.timedelta(days=split)
        whole = Period(ISSUE_DAY, ISSUE_DAY + datetime.timedelta(days=30))
        first = Period(ISSUE_DAY, cut)
        second = Period(cut + datetime.timedelta(days=1), whole.end)

        everything = vat_per_rate(organisation, whole)
        before_cut = vat_per_rate(organisation, first)
        after_cut = vat_per_rate(organisation, second)
        transaction.set_rollback(True)

    for base, tax, rate in zip(bases, vat, RATES[: len(bases)], strict=True):
        # Fully paid: encaissements give the invoice's own VAT and base, to the cent.
        assert everything[rate] == (cents(base), tax)

        # Each payment rounded on its own, in date order; the periods get the shares of their payments.
        paid = Decimal(0)
        expected_first = [Decimal(0), Decimal(0)]
        expected_second = [Decimal(0), Decimal(0)]
        for day, amount in enumerate(payments, start=1):
            base_share = share(cents(base), paid + amount, total) - share(cents(base), paid, total)
            vat_share = share(tax, paid + amount, total) - share(tax, paid, total)
            target = expected_first if day <= split else expected_second
            target[0] += base_share
            target[1] += vat_share
            paid += amount
        assert before_cut.get(rate, (Decimal(0), Decimal(0))) == tuple(expected_first)
        assert after_cut.get(rate, (Decimal(0), Decimal(0))) == tuple(expected_second)
