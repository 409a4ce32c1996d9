"""Late penalties (pénalités de retard) and the fixed recovery indemnity.

Rules (Code de commerce L441-10 and D441-5):

- penalties run from the day after the due date, without any reminder, until
  the day of payment included;
- the legal rate is the ECB main refinancing rate plus 10 points; the ECB rate
  that applies during the first half-year is the one in force on 1 January,
  during the second half-year the one in force on 1 July;
- a contract may set another rate, never below 3 times the legal interest rate;
- a business customer who pays late owes a fixed indemnity of 40 € per invoice.

The computation is exact: each day adds principal × rate / 100 / 365, summed
in ``Decimal`` and rounded to the cent once, at the end. A year counts 365
days, leap years included.
NOTE: some courts and software count 366 days in a leap year, which changes
the last cent on long delays in 2028; this module always divides by 365.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from ardoise.core.money import quantize
from ardoise.core.payment_terms import ScheduledPayment

LEGAL_MARGIN = Decimal("10")
CONTRACTUAL_MINIMUM_FACTOR = Decimal("3")
RECOVERY_INDEMNITY = Decimal("40.00")
DAYS_IN_YEAR = Decimal("365")
ZERO = Decimal("0")
ONE_DAY = datetime.timedelta(days=1)


class MissingRateError(LookupError):
    """No ECB rate is known for a half-year the penalties run through."""

    def __init__(self, day: datetime.date) -> None:
        super().__init__("no ECB rate in force on %s" % day.isoformat())
        self.day = day


@dataclass(frozen=True)
class RateChange:
    """A rate and the first day it applies."""

    effective_from: datetime.date
    rate: Decimal


def half_year_start(day: datetime.date) -> datetime.date:
    """Return 1 January or 1 July, whichever starts the half-year of ``day``."""
    return datetime.date(day.year, 1 if day.month <= 6 else 7, 1)


def rate_in_force(changes: Sequence[RateChange], day: datetime.date) -> Decimal:
    """Return the rate of the last change on or before ``day``; raise ``MissingRateError`` before the first."""
    current: RateChange | None = None
    for change in changes:
        if change.effective_from <= day and (current is None or change.effective_from > current.effective_from):
            current = change
    if current is None:
        raise MissingRateError(day)
    return current.rate


def legal_penalty_rate(ecb_changes: Sequence[RateChange], day: datetime.date) -> Decimal:
    """Return the legal penalty rate (% a year) for ``day``: the ECB rate of its half-year + 10 points."""
    return rate_in_force(ecb_changes, half_year_start(day)) + LEGAL_MARGIN


@dataclass(frozen=True)
class PenaltyPeriod:
    """Consecutive days late with the same principal and rate; ``amount`` is not rounded."""

    first_day: datetime.date
    last_day: datetime.date
    principal: Decimal
    rate: Decimal
    amount: Decimal

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class Penalties:
    total: Decimal
    periods: tuple[PenaltyPeriod, ...]


def overdue_principal(
    schedule: Sequence[ScheduledPayment], settlements: Sequence[tuple[datetime.date, Decimal]], day: datetime.date
) -> Decimal:
    """Return what is late on ``day``: the parts due before it, less what was settled before it."""
    due = sum((part.amount for part in schedule if part.due_date < day), ZERO)
    settled = sum((amount for settled_on, amount in settlements if settled_on < day), ZERO)
    return max(ZERO, due - settled)


def compute_penalties(
    schedule: Sequence[ScheduledPayment],
    settlements: Iterable[tuple[datetime.date, Decimal]],
    as_of: datetime.date,
    rate_for_day: Callable[[datetime.date], Decimal],
    places: int = 2,
) -> Penalties:
    """Compute the penalties owed on ``as_of`` for a schedule of payments and what was settled when.

    ``settlements`` are (date, amount) pairs: payments, and credit notes on
    their issue date. An amount settled on day P stops the penalties after P.
    """
    settlements = sorted(settlements)
    if not schedule:
        return Penalties(ZERO, ())
    first_late_day = min(part.due_date for part in schedule) + datetime.timedelta(days=1)
    periods: list[PenaltyPeriod] = []
    with localcontext() as context:
        context.prec = 40
        day = first_late_day
        while day <= as_of:
            principal = overdue_principal(schedule, settlements, day)
            rate = rate_for_day(day) if principal else ZERO
            daily = principal * rate / 100 / DAYS_IN_YEAR
            previous = periods[-1] if periods else None
            if (
                previous
                and previous.principal == principal
                and previous.rate == rate
                and previous.last_day == day - ONE_DAY
            ):
                periods[-1] = PenaltyPeriod(previous.first_day, day, principal, rate, previous.amount + daily)
            elif principal:
                periods.append(PenaltyPeriod(day, day, principal, rate, daily))
            day += ONE_DAY
        total = sum((period.amount for period in periods), ZERO)
    return Penalties(quantize(total, places), tuple(periods))


def is_late(
    schedule: Sequence[ScheduledPayment], settlements: Iterable[tuple[datetime.date, Decimal]], day: datetime.date
) -> bool:
    """Tell whether some amount due before ``day`` was still unsettled on ``day``."""
    return overdue_principal(schedule, list(settlements), day) > 0


def days_late(
    schedule: Sequence[ScheduledPayment], settlements: Sequence[tuple[datetime.date, Decimal]], day: datetime.date
) -> int:
    """Return how many days the oldest unsettled part is late on ``day`` (0 when nothing is late)."""
    settled = sum((amount for settled_on, amount in settlements if settled_on <= day), ZERO)
    for part in sorted(schedule, key=lambda p: p.due_date):
        if settled >= part.amount:
            settled -= part.amount
            continue
        return max(0, (day - part.due_date).days)
    return 0


@dataclass(frozen=True)
class MinimumRate:
    """The lowest contractual penalty rate allowed, from the legal interest rate in force since ``since``."""

    rate: Decimal
    legal_rate: Decimal
    since: datetime.date


def minimum_from_legal_rate(legal_rate: Decimal, since: datetime.date) -> MinimumRate:
    return MinimumRate(legal_rate * CONTRACTUAL_MINIMUM_FACTOR, legal_rate, since)


def minimum_contractual_rate(day: datetime.date) -> MinimumRate | None:
    """Return 3 × the legal interest rate of the professionals' table in force on ``day``, or None if unknown."""
    from ardoise.reminders.models import LegalInterestRate

    legal = LegalInterestRate.objects.filter(semester_start__lte=day).order_by("-semester_start").first()
    if legal is None:
        return None
    return minimum_from_legal_rate(legal.professional_rate, legal.semester_start)
