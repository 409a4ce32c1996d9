import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ardoise.core.formats import (
    format_amount,
    format_date,
    format_iban,
    format_quantity,
    format_rate,
    format_unit_price,
)

NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "0,00\u00a0€"),
        ("1234.56", "1\u202f234,56\u00a0€"),
        ("1234567.8", "1\u202f234\u202f567,80\u00a0€"),
        ("999.995", "1\u202f000,00\u00a0€"),
        ("0.005", "0,01\u00a0€"),
        ("-0.004", "0,00\u00a0€"),
        ("-1500", "-1\u202f500,00\u00a0€"),
        ("12", "12,00\u00a0€"),
    ],
)
def test_format_amount_in_euros(value, expected):
    assert format_amount(Decimal(value), "EUR") == expected


def test_format_amount_defaults_to_euros():
    assert format_amount(Decimal("5")) == "5,00\u00a0€"


def test_format_amount_uses_currency_decimals_and_code():
    assert format_amount(Decimal("1234.5"), "JPY") == "1\u202f235\u00a0JPY"
    # EN 16931 caps amounts at 2 decimals, the dinar's third included.
    assert format_amount(Decimal("1.2345"), "kwd") == "1,23\u00a0KWD"
    assert format_amount(Decimal("10"), "USD") == "10,00\u00a0USD"


def test_format_amount_rejects_floats():
    with pytest.raises(TypeError):
        format_amount(12.5, "EUR")  # type: ignore[arg-type]


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_format_amount_reads_back_to_same_value(value):
    text = format_amount(value, "EUR")

    number = text.removesuffix(NBSP + "€")
    assert number.count(",") == 1
    assert number.replace(NNBSP, "").replace(",", ".") == str(abs(value) if value == 0 else value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.5", "12,50\u00a0€"),
        ("12.50000", "12,50\u00a0€"),
        ("0.0125", "0,0125\u00a0€"),
        ("1500", "1\u202f500,00\u00a0€"),
    ],
)
def test_format_unit_price_keeps_significant_decimals(value, expected):
    assert format_unit_price(Decimal(value), "EUR") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", "1"),
        ("1.500", "1,5"),
        ("1000", "1\u202f000"),
        ("1E+3", "1\u202f000"),
        ("0.25", "0,25"),
        ("-0", "0"),
        ("12345.678", "12\u202f345,678"),
    ],
)
def test_format_quantity(value, expected):
    assert format_quantity(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20", "20\u202f%"),
        ("20.00", "20\u202f%"),
        ("5.5", "5,5\u202f%"),
        ("2.10", "2,1\u202f%"),
        ("0", "0\u202f%"),
    ],
)
def test_format_rate(value, expected):
    assert format_rate(Decimal(value)) == expected


def test_format_date_is_day_month_year():
    assert format_date(datetime.date(2026, 12, 4)) == "04/12/2026"
    assert format_date(datetime.date(2027, 1, 31)) == "31/01/2027"


def test_format_iban_groups_by_four():
    assert format_iban("fr7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"
    assert format_iban("FR76 3000 6000 0112 3456 7890 189") == "FR76 3000 6000 0112 3456 7890 189"


def test_imported_unit_codes_have_french_labels():
    from ardoise.core.units import unit_label

    assert unit_label("NAR") == "article"
    assert unit_label("ZZ") == "unité convenue"
    assert unit_label("HUR") == "heure"
    assert unit_label("XYZ") == "XYZ"


def test_age_under_a_minute_reads_in_words():
    from django.utils import timezone

    from ardoise.invoicing.templatetags.ardoise_formats import age_fr

    now = timezone.now()

    assert age_fr(now - datetime.timedelta(seconds=20)) == "moins d'une minute"
    assert age_fr(now - datetime.timedelta(minutes=5)) == "5\xa0minutes"
    assert age_fr(None) == ""
