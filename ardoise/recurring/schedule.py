"""The date rules of a recurring plan, free of the database.

Occurrence ``k`` (0, 1, 2…) of a plan falls ``k × interval`` periods after the
anchor (the start date), never after the previous occurrence. A monthly plan
anchored on the 31st therefore gives 31 January, 28 February (29 in a leap
year), 31 March, 30 April: the short month clips the day, the next month
gets the anchor's day back. The plan ends on its end date (inclusive) or after
its number of occurrences, whichever it has.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WEEKLY = "weekly"
MONTHLY = "monthly"
QUARTERLY = "quarterly"
YEARLY = "yearly"

# Months per period; weekly plans count in days instead.
MONTHS_PER_PERIOD = {MONTHLY: 1, QUARTERLY: 3, YEARLY: 12}
FREQUENCIES = (WEEKLY, MONTHLY, QUARTERLY, YEARLY)


def add_months(anchor: datetime.date, months: int) -> datetime.date:
    """Return the date ``months`` months after ``anchor``, with the day clipped to the month's length."""
    month_index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(anchor.day, last_day))


@dataclass(frozen=True)
class Rule:
    """When a plan invoices: every ``interval`` ``frequency`` periods from ``start``, up to its end."""

    frequency: str
    interval: int
    start: datetime.date
    end: datetime.date | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError("unknown frequency %r" % self.frequency)
        if self.interval < 1:
            raise ValueError("interval must be at least 1, not %r" % self.interval)
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1, not %r" % self.count)

    def nth(self, index: int) -> datetime.date:
        """Return the date of occurrence ``index`` (0 is the start), ignoring the end."""
        if index < 0:
            raise ValueError("index must be positive, not %r" % index)
        if self.frequency == WEEKLY:
            return self.start + datetime.timedelta(weeks=index * self.interval)
        return add_months(self.start, index * self.interval * MONTHS_PER_PERIOD[self.frequency])

    def within(self, index: int) -> bool:
        """Tell whether occurrence ``index`` belongs to the plan (before its end date and count)."""
        if self.count is not None and index >= self.count:
            return False
        return not (self.end is not None and self.nth(index) > self.end)

    def date_of(self, index: int) -> datetime.date | None:
        """Return the date of occurrence ``index``, or None when the plan has ended before it."""
        return self.nth(index) if self.within(index) else None

    def occurrences(self, first_index: int = 0) -> Iterator[tuple[int, datetime.date]]:
        """Yield (index, date) from ``first_index`` until the plan ends (forever for an open plan)."""
        index = first_index
        while self.within(index):
            yield index, self.nth(index)
            index += 1

    def due(self, first_index: int, day: datetime.date) -> Iterator[tuple[int, datetime.date]]:
        """Yield the occurrences from ``first_index`` dated ``day`` or earlier: today's and the missed ones."""
        for index, date in self.occurrences(first_index):
            if date > day:
                return
            yield index, date

    def first_index_from(self, day: datetime.date) -> int:
        """Return the index of the first occurrence dated ``day`` or later (it may be past the end)."""
        if day <= self.start:
            return 0
        # Start from an estimate below the result, then step forward: at most a few steps.
        if self.frequency == WEEKLY:
            index = max(0, (day - self.start).days // (7 * self.interval) - 1)
        else:
            months = (day.year - self.start.year) * 12 + day.month - self.start.month
            index = max(0, months // (self.interval * MONTHS_PER_PERIOD[self.frequency]) - 1)
        while self.nth(index) < day:
            index += 1
        return index


def full_years(start: datetime.date, day: datetime.date) -> int:
    """Count the anniversaries of ``start`` reached on ``day`` (29 February's falls on 28 February)."""
    if day < start:
        return 0
    years = day.year - start.year
    if add_months(start, 12 * years) > day:
        years -= 1
    return years


CENT = Decimal("0.01")


def revised_price(price: Decimal, percent: Decimal, years: int) -> Decimal:
    """Apply a yearly revision of ``percent`` % ``years`` times, compounded, rounded to the cent.

    The price is computed from the plan's base price each time, never from the
    previous year's rounded price, so the rounding does not drift.
    """
    if not percent or years <= 0:
        return price
    factor = (Decimal(1) + percent / Decimal(100)) ** years
    return (price * factor).quantize(CENT, rounding=ROUND_HALF_UP)
