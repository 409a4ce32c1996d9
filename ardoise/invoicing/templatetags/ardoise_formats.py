"""Template filters that show amounts, rates and dates the French way.

They delegate to ``ardoise.core.formats`` so that screens, PDFs and e-mails
print the same figures. Every filter returns an empty string for ``None`` and
blank values, so that a template can apply it to an optional field.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

from ardoise.core import formats

register = template.Library()


def _as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        # str() first: a float must never reach Decimal directly.
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def money(value: Any, currency: str = "EUR") -> str:
    """Format an amount: ``{{ invoice.total_with_vat|money:invoice.currency }}`` gives "1 234,56 €"."""
    amount = _as_decimal(value)
    return "" if amount is None else formats.format_amount(amount, currency or "EUR")


@register.filter
def negate(value: Any) -> Decimal | None:
    """Change the sign of an amount, e.g. to show a credit note's total as it reduces a balance."""
    amount = _as_decimal(value)
    return None if amount is None else -amount


@register.filter
def unit_price(value: Any, currency: str = "EUR") -> str:
    amount = _as_decimal(value)
    return "" if amount is None else formats.format_unit_price(amount, currency or "EUR")


@register.filter
def quantity(value: Any) -> str:
    number = _as_decimal(value)
    return "" if number is None else formats.format_quantity(number)


@register.filter
def rate(value: Any) -> str:
    number = _as_decimal(value)
    return "" if number is None else formats.format_rate(number)


@register.filter
def date_fr(value: Any) -> str:
    """Format a date, or a datetime in the local time zone, as "04/12/2026"."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.format_date(value)


@register.filter
def datetime_fr(value: Any) -> str:
    """Format a datetime in the local time zone as "04/12/2026 14:05"."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return "%s %s" % (formats.format_date(local.date()), local.strftime("%H:%M"))


@register.filter
def age_fr(value: Any) -> str:
    """Say how long ago a datetime was, for « il y a … »: « moins d'une minute » rather than « 0 minute »."""
    if not value:
        return ""
    if timezone.now() - value < datetime.timedelta(minutes=1):
        return gettext("moins d'une minute")
    return timesince(value)


@register.filter
def iban(value: Any) -> str:
    return formats.format_iban(value) if value else ""
