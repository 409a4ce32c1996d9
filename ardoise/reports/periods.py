"""Report periods: the usual presets, and months, quarters and years with their French labels."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core.formats import format_date


class Grouping(TextChoices):
    MONTH = "mois", gettext_lazy("Mois")
    QUARTER = "trimestre", gettext_lazy("Trimestre")
    YEAR = "annee", gettext_lazy("Année")


class Preset(TextChoices):
    THIS_MONTH = "mois", gettext_lazy("Ce mois-ci")
    LAST_MONTH = "mois-precedent", gettext_lazy("Le mois dernier")
    THIS_QUARTER = "trimestre", gettext_lazy("Ce trimestre")
    LAST_QUARTER = "trimestre-precedent", gettext_lazy("Le trimestre dernier")
    THIS_YEAR = "annee", gettext_lazy("Cette année")
    LAST_YEAR = "annee-precedente", gettext_lazy("L'année dernière")
    LAST_12_MONTHS = "12-mois", gettext_lazy("Les 12 derniers mois")


@dataclass(frozen=True)
class Period:
    """A range of calendar dates, both ends included."""

    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return _("du %(start)s au %(end)s") % {"start": format_date(self.start), "end": format_date(self.end)}

    def until(self, day: datetime.date) -> Period:
        """Return the period cut at ``day`` when it ends later (unchanged when it starts after ``day``)."""
        return Period(self.start, day) if self.start <= day < self.end else self


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def preset_period(preset: str, today: datetime.date) -> Period:
    """Return the period a preset names, as seen on ``today``."""
    if preset == Preset.LAST_MONTH:
        start = add_months(today, -1)
        return Period(start, month_end(start))
    if preset == Preset.THIS_QUARTER:
        start = quarter_start(today)
        return Period(start, month_end(add_months(start, 2)))
    if preset == Preset.LAST_QUARTER:
        start = add_months(quarter_start(today), -3)
        return Period(start, month_end(add_months(start, 2)))
    if preset == Preset.THIS_YEAR:
        return Period(datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31))
    if preset == Preset.LAST_YEAR:
        return Period(datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31))
    if preset == Preset.LAST_12_MONTHS:
        return Period(add_months(today, -11), month_end(today))
    return Period(month_start(today), month_end(today))


def bucket_start(day: datetime.date, grouping: str) -> datetime.date:
    """Return the first day of the month, quarter or year that contains ``day``."""
    if grouping == Grouping.YEAR:
        return datetime.date(day.year, 1, 1)
    if grouping == Grouping.QUARTER:
        return quarter_start(day)
    return month_start(day)


def buckets(period: Period, grouping: str) -> Iterator[datetime.date]:
    """Yield the first day of each month, quarter or year that the period touches."""
    step = {Grouping.YEAR: 12, Grouping.QUARTER: 3}.get(Grouping(grouping), 1)
    current = bucket_start(period.start, grouping)
    while current <= period.end:
        yield current
        current = add_months(current, step)


def bucket_label(start: datetime.date, grouping: str) -> str:
    """Name a month ("décembre 2026"), a quarter ("T4 2026") or a year ("2026") in French."""
    if grouping == Grouping.YEAR:
        return str(start.year)
    if grouping == Grouping.QUARTER:
        return _("T%(quarter)s %(year)s") % {"quarter": (start.month - 1) // 3 + 1, "year": start.year}
    return "%s %s" % (MONTHS[start.month], start.year)


def month_label(start: datetime.date) -> str:
    return bucket_label(start, Grouping.MONTH)


def short_month_label(start: datetime.date) -> str:
    """Name a month in three or four letters for a chart axis: "déc.", "juil."."""
    from django.utils.dates import MONTHS_AP

    return str(MONTHS_AP[start.month])
