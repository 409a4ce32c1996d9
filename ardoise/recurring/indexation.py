"""Index-based price revision of recurring plans, free of the database.

French contracts revise prices with the formula P1 = P0 × (I1 / I0): P0 is
the price of the contract, I0 the value of the reference index (Syntec for IT
services, BT01 for construction, an INSEE index…) for a reference period, and
I1 the value of the same index for the period of the revision. Revision ``k``
(1, 2…) takes effect on ``first revision date + (k − 1) × every`` months and
uses the index of ``reference period + k × every`` months: with a reference of
August 2024 and a yearly revision, the first revision uses August 2025, the
second August 2026.

A period is stored as the date of its first day: 1 August 2024 for a monthly
index, 1 July 2024 for the third quarter, 1 January 2024 for a yearly index.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core import money
from ardoise.core.formats import format_date, format_decimal, format_quantity
from ardoise.recurring.schedule import add_months

MONTHLY = "monthly"
QUARTERLY = "quarterly"
YEARLY = "yearly"
MONTHS_PER_PERIOD = {MONTHLY: 1, QUARTERLY: 3, YEARLY: 12}

MONTH_NAMES = (
    gettext_lazy("janvier"),
    gettext_lazy("février"),
    gettext_lazy("mars"),
    gettext_lazy("avril"),
    gettext_lazy("mai"),
    gettext_lazy("juin"),
    gettext_lazy("juillet"),
    gettext_lazy("août"),
    gettext_lazy("septembre"),
    gettext_lazy("octobre"),
    gettext_lazy("novembre"),
    gettext_lazy("décembre"),
)

# The shown coefficient I1 / I0; prices are computed from the exact ratio, never from this rounded one.
COEFFICIENT_PLACES = 5

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{4})$")
_QUARTER = re.compile(r"^(?:(\d{4})[- ]?T([1-4])|T([1-4])[- ]?(\d{4}))$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """A period typed by a user that does not fit the index's periodicity; the message is French."""


def parse_period(text: str, periodicity: str) -> datetime.date:
    """Read a period as users write it: ``2024-08`` or ``08/2024``, ``T3 2024`` or ``2024-T3``, ``2024``.

    A monthly period given for a quarterly or yearly index is rejected rather
    than moved to its quarter or year, because the user probably chose the
    wrong index.
    """
    value = " ".join(str(text).split())
    month = None
    if match := _YEAR_MONTH.match(value):
        year, month = int(match[1]), int(match[2])
    elif match := _MONTH_YEAR.match(value):
        year, month = int(match[2]), int(match[1])
    elif match := _QUARTER.match(value):
        year = int(match[1] or match[4])
        quarter = int(match[2] or match[3])
        if periodicity != QUARTERLY:
            raise PeriodError(_wrong_form(value, periodicity))
        return datetime.date(year, (quarter - 1) * 3 + 1, 1)
    elif match := _YEAR.match(value):
        if periodicity != YEARLY:
            raise PeriodError(_wrong_form(value, periodicity))
        return datetime.date(int(match[1]), 1, 1)
    else:
        raise PeriodError(_wrong_form(value, periodicity))
    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        raise PeriodError(_("« %(value)s » n'est pas un mois valide : écrivez par exemple 2024-08.") % {"value": value})
    if periodicity != MONTHLY:
        raise PeriodError(_wrong_form(value, periodicity))
    return datetime.date(year, month, 1)


def _wrong_form(value: str, periodicity: str) -> str:
    examples = {
        MONTHLY: _("un mois, par exemple 2024-08 ou 08/2024"),
        QUARTERLY: _("un trimestre, par exemple T3 2024 ou 2024-T3"),
        YEARLY: _("une année, par exemple 2024"),
    }
    return _("« %(value)s » n'est pas une période de cet indice : indiquez %(expected)s.") % {
        "value": value,
        "expected": examples[periodicity],
    }


def format_period(period: datetime.date, periodicity: str) -> str:
    """Write a period the French way: « août 2024 », « T3 2024 » or « 2024 »."""
    if periodicity == YEARLY:
        return str(period.year)
    if periodicity == QUARTERLY:
        return "T%d %d" % ((period.month - 1) // 3 + 1, period.year)
    return "%s %d" % (MONTH_NAMES[period.month - 1], period.year)


def period_code(period: datetime.date, periodicity: str) -> str:
    """Write a period as the command line reads it back: ``2024-08``, ``2024-T3`` or ``2024``."""
    if periodicity == YEARLY:
        return str(period.year)
    if periodicity == QUARTERLY:
        return "%d-T%d" % (period.year, (period.month - 1) // 3 + 1)
    return "%d-%02d" % (period.year, period.month)


def format_index_value(value: Decimal) -> str:
    """Write an index value with its significant decimals, French style (« 296,3 »)."""
    return format_quantity(value)


@dataclass(frozen=True)
class IndexRule:
    """When and with which index period a plan's prices are revised."""

    periodicity: str
    base_period: datetime.date
    base_value: Decimal
    first_revision: datetime.date
    every_months: int

    def revision_number(self, day: datetime.date) -> int:
        """Count the revisions in force on ``day``: 0 before the first revision date."""
        if day < self.first_revision:
            return 0
        months = (day.year - self.first_revision.year) * 12 + day.month - self.first_revision.month
        number = max(1, months // self.every_months)
        # The estimate may be one too high near a month-end anchor, or one too low: step to the exact count.
        while number > 1 and add_months(self.first_revision, (number - 1) * self.every_months) > day:
            number -= 1
        while add_months(self.first_revision, number * self.every_months) <= day:
            number += 1
        return number

    def revision_date(self, number: int) -> datetime.date:
        return add_months(self.first_revision, (number - 1) * self.every_months)

    def index_period(self, number: int) -> datetime.date:
        """Return the index period whose value revision ``number`` uses."""
        return add_months(self.base_period, number * self.every_months)


def revised_by_index(price: Decimal, base_value: Decimal, current_value: Decimal, places: int) -> Decimal:
    """Return P0 × (I1 / I0), rounded half up by the money module to ``places`` decimals.

    The result is always computed from the contract's price P0, never from the
    previous revision's rounded price, so the rounding does not drift.
    """
    if base_value <= 0 or current_value <= 0:
        raise ValueError("index values must be positive, not %s and %s" % (base_value, current_value))
    return money.quantize(price * current_value / base_value, places)


def price_places(price: Decimal, currency_places: int) -> int:
    """Return the decimals a revised unit price keeps: the currency's, or more when P0 has more (0,0125 €)."""
    exponent = price.normalize().as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return max(currency_places, own)


def coefficient(base_value: Decimal, current_value: Decimal) -> Decimal:
    return money.quantize(current_value / base_value, COEFFICIENT_PLACES)


def formula_note(name: str, rule: IndexRule, number: int, current_value: Decimal) -> str:
    """Write the revision formula printed in the invoice's notes, with both index values and their periods."""
    return _(
        "Prix révisés selon l'indice %(index)s : P1 = P0 × (I1 / I0) = P0 × (%(current)s / %(base)s), "
        "coefficient %(coefficient)s. I0 : indice de référence (%(base_period)s). "
        "I1 : indice de la révision du %(date)s (%(current_period)s)."
    ) % {
        "index": name,
        "current": format_index_value(current_value),
        "base": format_index_value(rule.base_value),
        "coefficient": format_decimal(coefficient(rule.base_value, current_value), COEFFICIENT_PLACES),
        "base_period": format_period(rule.base_period, rule.periodicity),
        "current_period": format_period(rule.index_period(number), rule.periodicity),
        "date": format_date(rule.revision_date(number)),
    }
