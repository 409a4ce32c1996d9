"""Template tags that print report rows the French way, each cell according to its column's kind."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount, format_date, format_decimal
from ardoise.reports.tables import Kind, Row, Table

register = template.Library()


@register.simple_tag
def report_cells(row: Row, table: Table) -> SafeString:
    """Print the cells of one row: the first as the row's header, numbers aligned, one cell linked to ``row.url``.

    A report page prints fifty rows of up to a dozen cells. Built here, a
    cell costs a few string operations; as template tags and conditions, it
    cost a tenth of the whole page.
    """
    cells = []
    for index, (value, column) in enumerate(zip(row.cells, table.columns, strict=True)):
        text = escape(format_cell(value, column.kind, table.currency))
        if row.url and index == table.link_column:
            text = '<a href="%s">%s</a>' % (escape(row.url), text)
        numeric = "" if column.kind == Kind.TEXT else ' class="num"'
        if index == 0:
            cells.append('<th scope="row"%s>%s</th>' % (numeric, text))
        else:
            cells.append("<td%s>%s</td>" % (numeric, text))
    # Every value and the address went through escape() above.
    return mark_safe("".join(cells))


def format_cell(value: Any, kind: str, currency: str) -> str:
    """Format one table value; an empty cell prints nothing, a DSO that cannot be computed prints « — »."""
    if value is None:
        return "—" if kind == Kind.DAYS else ""
    if kind == Kind.AMOUNT and isinstance(value, Decimal):
        return format_amount(value, currency)
    if kind == Kind.DAYS and isinstance(value, Decimal):
        return _("%(days)s j") % {"days": format_decimal(value, 1)}
    if isinstance(value, datetime.date):
        return format_date(value)
    return str(value)
