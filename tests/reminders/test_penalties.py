"""Late penalties computed by hand: ECB rate + 10 points by half-year, or a contractual rate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ardoise.core.payment_terms import ScheduledPayment
from ardoise.reminders import penalties
from ardoise.reminders.penalties import RateChange

D = datetime.date
# Rate changes as published (extract): 12 June 2024 4.25 %, 18 December 2024 3.15 %, 11 June 2025 2.15 %.
ECB = [
    RateChange(D(2024, 6, 12), Decimal("4.25")),
    RateChange(D(2024, 12, 18), Decimal("3.15")),
    RateChange(D(2025, 6, 11), Decimal("2.15")),
]


def legal(day):
    return penalties.legal_penalty_rate(ECB, day)


def test_rate_fixed_per_half_year():
    # The cut of 11 June 2025 only counts from 1 July: June keeps the rate of 1 January.
    assert legal(D(2025, 6, 30)) == Decimal("13.15")
    assert legal(D(2025, 7, 1)) == Decimal("12.15")
    assert legal(D(2024, 12, 31)) == Decimal("14.25")


def test_penalties_across_1_july():
    # 1 000 € due on 15 June 2025, unpaid on 15 July:
    # 15 days at 13.15 % (16-30 June) + 15 days at 12.15 % (1-15 July)
    # = (1000 × 13.15 × 15 + 1000 × 12.15 × 15) / 36500 = 3795 / 365 = 10.3973 → 10.40 €.
    schedule = [ScheduledPayment(D(2025, 6, 15), Decimal("1000.00"))]

    result = penalties.compute_penalties(schedule, [], D(2025, 7, 15), legal)

    assert result.total == Decimal("10.40")
    assert [(p.first_day, p.last_day, p.rate, p.days) for p in result.periods] == [
        (D(2025, 6, 16), D(2025, 6, 30), Decimal("13.15"), 15),
        (D(2025, 7, 1), D(2025, 7, 15), Decimal("12.15"), 15),
    ]


def test_penalties_across_1_january():
    # 1 000 € due on 20 December 2024: 11 days at 14.25 % then 10 days at 13.15 %
    # = (156 750 + 131 500) / 36500 = 7.8973 → 7.90 €.
    schedule = [ScheduledPayment(D(2024, 12, 20), Decimal("1000.00"))]

    result = penalties.compute_penalties(schedule, [], D(2025, 1, 10), legal)

    assert result.total == Decimal("7.90")


def test_partial_payment_reduces_principal_from_next_day():
    # 1 000 € due 15 June 2025, 400 € paid on 25 June:
    # 10 days × 1 000 at 13.15 % + 5 days × 600 at 13.15 % + 10 days × 600 at 12.15 %
    # = (131 500 + 39 450 + 72 900) / 36500 = 6.6808 → 6.68 €.
    schedule = [ScheduledPayment(D(2025, 6, 15), Decimal("1000.00"))]
    paid = [(D(2025, 6, 25), Decimal("400.00"))]

    result = penalties.compute_penalties(schedule, paid, D(2025, 7, 10), legal)

    assert result.total == Decimal("6.68")


def test_rounded_once_not_per_period():
    # 1 € late for 30 days at 13.15 % = 0.0108 € → 0.01 €, whereas rounding each
    # day's 0.00036 € to the cent would give 0.00 €.
    schedule = [ScheduledPayment(D(2025, 1, 1), Decimal("1.00"))]

    result = penalties.compute_penalties(schedule, [], D(2025, 1, 31), legal)

    assert result.total == Decimal("0.01")


def test_contractual_rate():
    # 2 000 € late for 31 days at 12 %: 2000 × 12 × 31 / 36500 = 20.3836 → 20.38 €.
    schedule = [ScheduledPayment(D(2025, 3, 1), Decimal("2000.00"))]

    result = penalties.compute_penalties(schedule, [], D(2025, 4, 1), lambda day: Decimal("12"))

    assert result.total == Decimal("20.38")


def test_installments_accrue_from_their_own_due_dates():
    # 300 € due 1 March, 700 € due 31 March 2025, nothing paid, on 10 April, at 13.15 %:
    # 300 × 30 days (2-31 March) + 1 000 × 10 days (1-10 April)
    # = (300 × 13.15 × 30 + 1000 × 13.15 × 10) / 36500 = (118 350 + 131 500) / 36500 = 6.8452 → 6.85 €.
    schedule = [
        ScheduledPayment(D(2025, 3, 1), Decimal("300.00")),
        ScheduledPayment(D(2025, 3, 31), Decimal("700.00")),
    ]

    result = penalties.compute_penalties(schedule, [], D(2025, 4, 10), legal)

    assert result.total == Decimal("6.85")


def test_paid_on_due_date_owes_nothing():
    schedule = [ScheduledPayment(D(2025, 3, 1), Decimal("500.00"))]

    result = penalties.compute_penalties(schedule, [(D(2025, 3, 1), Decimal("500.00"))], D(2025, 4, 1), legal)

    assert result.total == Decimal("0")


def test_missing_ecb_rate_is_reported():
    schedule = [ScheduledPayment(D(2010, 3, 1), Decimal("500.00"))]

    with pytest.raises(penalties.MissingRateError):
        penalties.compute_penalties(schedule, [], D(2010, 4, 1), legal)


def test_days_late_counts_from_oldest_unsettled_part():
    schedule = [
        ScheduledPayment(D(2025, 3, 1), Decimal("300.00")),
        ScheduledPayment(D(2025, 3, 31), Decimal("700.00")),
    ]

    assert penalties.days_late(schedule, [], D(2025, 4, 10)) == 40
    assert penalties.days_late(schedule, [(D(2025, 3, 5), Decimal("300.00"))], D(2025, 4, 10)) == 10


def test_minimum_contractual_rate_is_three_times_legal_rate():
    minimum = penalties.minimum_from_legal_rate(Decimal("2.62"), D(2026, 1, 1))

    assert minimum.rate == Decimal("7.86")
