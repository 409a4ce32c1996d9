"""Small helpers for the reports' hand-written SQL, which runs on SQLite and PostgreSQL alike.

The ORM cannot aggregate over a UNION or join a grouped subquery, which the
balance reports need: their SQL wraps querysets compiled by the ORM, so that
table names, filters and parameters still come from the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from ardoise.core.money import quantize


def compiled(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL and parameters of a queryset, to embed as a subquery."""
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def amount(value: Any, places: int = 2) -> Decimal:
    """Turn a sum read from the database into a Decimal rounded to ``places``.

    PostgreSQL returns Decimal; SQLite returns float or int, whose shortest
    repr is exact to the cent for the sums of amounts the reports add.
    """
    if value is None:
        return quantize(Decimal(0), places)
    # PostgreSQL's sums of amounts already have the places: a report reads thousands of them.
    if type(value) is Decimal and value.as_tuple().exponent == -places:
        # abs() turns -0.00 into 0.00, as quantize() does.
        return value if value else abs(value)
    if not isinstance(value, Decimal):
        value = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return quantize(value, places)


def cents(expression: str) -> str:
    """Return SQL turning an amount into a whole number of hundredths, exact on both databases."""
    # SQLite stores amounts as floats: ROUND first, so that 12.34 * 100 = 1233.9999… becomes 1234.
    return "CAST(ROUND((%s) * 100) AS BIGINT)" % expression


def days_between(later: str, earlier: str) -> str:
    """Return SQL for the number of days from the date ``earlier`` to the date ``later``."""
    if connection.vendor == "sqlite":
        return "CAST(julianday(%s) - julianday(%s) AS INTEGER)" % (later, earlier)
    return "(%s - %s)" % (later, earlier)


def add_days(date: str, days: str) -> str:
    """Return SQL for the date ``days`` (a whole number, maybe negative) after ``date``."""
    if connection.vendor == "sqlite":
        # "%%%%" survives both this formatting and the driver's parameter substitution as one "%".
        return "date(%s, printf('%%%%+d days', %s))" % (date, days)
    return "(%s + CAST(%s AS INTEGER))" % (date, days)


def quotient(numerator: str, denominator: str) -> str:
    """Return SQL dividing two whole numbers without truncating: numeric on PostgreSQL, real on SQLite."""
    kind = "REAL" if connection.vendor == "sqlite" else "NUMERIC"
    return "CAST(%s AS %s) / %s" % (numerator, kind, denominator)


def kept_apart() -> str:
    """Return a clause that ends a subquery and keeps the database from merging it into the outer query.

    PostgreSQL flattens a subquery into its caller, and then computes an
    output column once for each place that reads it; OFFSET 0 stops that.
    SQLite accepts OFFSET only after LIMIT, where -1 means no limit.
    """
    if connection.vendor == "sqlite":
        return "LIMIT -1 OFFSET 0"
    return "OFFSET 0"


def month_start(date: str) -> str:
    """Return SQL for the first day of the month of the date ``date``."""
    if connection.vendor == "sqlite":
        return "date(%s, 'start of month')" % date
    return "CAST(DATE_TRUNC('month', %s) AS DATE)" % date


def vat_share(amount: str, paid: str) -> str:
    """Return SQL for amount × paid ÷ the document's total including VAT, rounded half up to the cent.

    The arithmetic is on whole cents, so SQLite (floats) and PostgreSQL
    (numeric) round the same way. ``paid`` is never negative (a reversal is
    dated after the payment it cancels), so only ``amount`` carries a sign.
    """
    a, p, t = cents(amount), cents(paid), cents("i.total_with_vat")
    return f"CASE WHEN {a} >= 0 THEN (2 * {a} * {p} + {t}) / (2 * {t}) ELSE -((2 * -{a} * {p} + {t}) / (2 * {t})) END"
