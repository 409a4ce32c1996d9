"""The date rules of recurring plans: anchored on the start date, clipped to short months, bounded by the end."""

from __future__ import annotations

import calendar
import datetime
import itertools
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ardoise.recurring import schedule
from ardoise.recurring.schedule import Rule, add_months, full_years, revised_price

dates = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 12, 31))
frequencies = st.sampled_from(schedule.FREQUENCIES)
intervals = st.integers(min_value=1, max_value=12)


def test_31st_clips_short_months():
    rule = Rule(schedule.MONTHLY, 1, datetime.date(2027, 1, 31))
    assert [rule.nth(index) for index in range(4)] == [
        datetime.date(2027, 1, 31),
        datetime.date(2027, 2, 28),
        datetime.date(2027, 3, 31),
        datetime.date(2027, 4, 30),
    ]
    leap = Rule(schedule.MONTHLY, 1, datetime.date(2028, 1, 31))
    assert leap.nth(1) == datetime.date(2028, 2, 29)


def test_start_equal_to_end_gives_exactly_one_occurrence():
    day = datetime.date(2026, 12, 4)
    for frequency in schedule.FREQUENCIES:
        assert list(Rule(frequency, 1, day, end=day).occurrences()) == [(0, day)]


def test_quarterly_every_two_and_weekly_dates():
    assert Rule(schedule.QUARTERLY, 2, datetime.date(2026, 8, 31)).nth(1) == datetime.date(2027, 2, 28)
    assert Rule(schedule.WEEKLY, 2, datetime.date(2026, 12, 4)).nth(3) == datetime.date(2027, 1, 15)
    assert Rule(schedule.YEARLY, 1, datetime.date(2028, 2, 29)).nth(1) == datetime.date(2029, 2, 28)
    assert Rule(schedule.YEARLY, 1, datetime.date(2028, 2, 29)).nth(4) == datetime.date(2032, 2, 29)


def test_count_limits_the_occurrences():
    rule = Rule(schedule.MONTHLY, 1, datetime.date(2026, 1, 15), count=3)
    assert [date for _index, date in rule.occurrences()] == [
        datetime.date(2026, 1, 15),
        datetime.date(2026, 2, 15),
        datetime.date(2026, 3, 15),
    ]


def test_due_lists_missed_dates():
    rule = Rule(schedule.MONTHLY, 1, datetime.date(2026, 1, 31))
    due = list(rule.due(1, datetime.date(2026, 4, 30)))
    assert due == [(1, datetime.date(2026, 2, 28)), (2, datetime.date(2026, 3, 31)), (3, datetime.date(2026, 4, 30))]


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        Rule("daily", 1, datetime.date(2026, 1, 1))
    with pytest.raises(ValueError):
        Rule(schedule.MONTHLY, 0, datetime.date(2026, 1, 1))


@given(start=dates, frequency=frequencies, interval=intervals, index=st.integers(min_value=0, max_value=300))
@example(start=datetime.date(2027, 1, 31), frequency=schedule.MONTHLY, interval=1, index=1)
def test_every_date_comes_from_the_anchor(start, frequency, interval, index):
    rule = Rule(frequency, interval, start)
    date = rule.nth(index)
    if frequency == schedule.WEEKLY:
        assert (date - start).days == 7 * interval * index
        return
    months = index * interval * schedule.MONTHS_PER_PERIOD[frequency]
    assert (date.year * 12 + date.month) - (start.year * 12 + start.month) == months
    # The anchor's day, or the month's last day when the month is shorter.
    assert date.day == min(start.day, calendar.monthrange(date.year, date.month)[1])


@given(start=dates, frequency=frequencies, interval=intervals, count=st.integers(min_value=1, max_value=200))
def test_dates_strictly_increase_and_count_is_exact(start, frequency, interval, count):
    occurrences = list(Rule(frequency, interval, start, count=count).occurrences())
    assert [index for index, _date in occurrences] == list(range(count))
    assert all(earlier[1] < later[1] for earlier, later in itertools.pairwise(occurrences))
    assert occurrences[0][1] == start


@given(start=dates, frequency=frequencies, interval=intervals, days=st.integers(min_value=0, max_value=4000))
def test_end_date_is_inclusive(start, frequency, interval, days):
    end = start + datetime.timedelta(days=days)
    rule = Rule(frequency, interval, start, end=end)
    occurrences = list(rule.occurrences())
    assert occurrences and occurrences[0][1] == start
    assert all(date <= end for _index, date in occurrences)
    # The next date after the last one is past the end.
    assert Rule(frequency, interval, start).nth(len(occurrences)) > end


@given(start=dates, frequency=frequencies, interval=intervals, days=st.integers(min_value=0, max_value=4000))
def test_first_index_from_day(start, frequency, interval, days):
    rule = Rule(frequency, interval, start)
    day = start + datetime.timedelta(days=days)
    index = rule.first_index_from(day)
    assert rule.nth(index) >= day
    assert index == 0 or rule.nth(index - 1) < day


@given(start=dates, frequency=frequencies, interval=intervals, first=st.integers(0, 50), span=st.integers(0, 2000))
def test_two_sweeps_give_each_date_once(start, frequency, interval, first, span):
    """Sweeping a day, then a later day from where the first stopped, lists each date once, as one sweep would."""
    rule = Rule(frequency, interval, start)
    middle = start + datetime.timedelta(days=span // 2)
    end = start + datetime.timedelta(days=span)
    earlier = list(rule.due(0, middle))
    later = list(rule.due(len(earlier), end))
    assert earlier + later == list(rule.due(0, end))


def test_add_months_clips_to_the_end_of_month():
    assert add_months(datetime.date(2026, 10, 31), 4) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2026, 1, 15), -1) == datetime.date(2025, 12, 15)


@given(start=dates, days=st.integers(min_value=0, max_value=20000))
def test_full_years_counts_anniversaries(start, days):
    day = start + datetime.timedelta(days=days)
    years = full_years(start, day)
    assert add_months(start, 12 * years) <= day < add_months(start, 12 * (years + 1))


def test_revision_compounds_from_the_base_price():
    assert revised_price(Decimal("100.00"), Decimal("2.5"), 0) == Decimal("100.00")
    assert revised_price(Decimal("100.00"), Decimal("2.5"), 1) == Decimal("102.50")
    assert revised_price(Decimal("100.00"), Decimal("2.5"), 2) == Decimal("105.06")
    assert revised_price(Decimal("100.00"), Decimal("0"), 5) == Decimal("100.00")
