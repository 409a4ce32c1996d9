"""Template filters that print report cells the French way, according to their column's kind."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount, format_date, format_decimal
from ardoise.reports.tables import Column, Kind

register = template.Library()


@register.simple_tag
def report_cell(value: Any, column: Column, currency: str) -> str:
    """Format one table value; an empty cell prints nothing, a DSO that cannot be computed prints « — »."""
    return format_cell(value, column.kind, currency)


def format_cell(value: Any, kind: str, currency: str) -> str:
    if value is None:
        return "—" if kind == Kind.DAYS else ""
    if kind == Kind.AMOUNT and isinstance(value, Decimal):
        return format_amount(value, currency)
    if kind == Kind.DAYS and isinstance(value, Decimal):
        return _("%(days)s j") % {"days": format_decimal(value, 1)}
    if isinstance(value, datetime.date):
        return format_date(value)
    return str(value)


@register.filter
def zip_cells(row: Any, columns: Any) -> list[tuple[Any, Column]]:
    """Pair each cell of a row with its column, so that a template loop can format both."""
    return list(zip(row.cells, columns, strict=True))
