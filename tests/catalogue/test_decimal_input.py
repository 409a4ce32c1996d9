"""French decimal input: a comma or a dot, spaces between thousands, the typed value named in errors."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pytest
from django.core.exceptions import ValidationError

from ardoise.core.forms import FrenchDecimalField, format_decimal_input, parse_french_decimal, plain_decimal


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        (" 0,0125 ", Decimal("0.0125")),
        ("1 234,56", Decimal("1234.56")),
        ("1\u00a0234,56", Decimal("1234.56")),
        ("1\u202f234,56", Decimal("1234.56")),
        ("1.234,56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        (",5", Decimal("0.5")),
        ("-3,25", Decimal("-3.25")),
        ("1.234.567", Decimal("1234567")),
        ("1.234.567,8", Decimal("1234567.8")),
        ("-1 234,5", Decimal("-1234.5")),
        ("12.", Decimal("12")),
    ],
)
def test_parse_french_decimal(typed, expected):
    assert parse_french_decimal(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        *["abc", "12,5 €", "1e3", "NaN", "Infinity", "", "1,2,3x"],
        # Typos that a looser reading would take for thousands groups.
        *["1,2,3", "1.2.3", "0,9,2", "0,921,456", "12,34.5,6", "1.23,4"],
    ],
)
def test_parse_rejects_non_numbers(typed):
    with pytest.raises(InvalidOperation):
        parse_french_decimal(typed)


def price_field() -> FrenchDecimalField:
    return FrenchDecimalField(max_digits=14, decimal_places=4, min_value=0)


def test_field_keeps_four_decimals():
    assert price_field().clean("0,0125") == Decimal("0.0125")


def test_field_drops_trailing_zeros_beyond_places():
    assert price_field().clean("12,500000") == Decimal("12.5000")


def test_field_names_value_with_too_many_decimals():
    with pytest.raises(ValidationError) as caught:
        price_field().clean("12,12345")

    assert caught.value.messages == ["« 12,12345 » a trop de chiffres après la virgule : 4 au plus."]


def test_field_names_value_too_large():
    with pytest.raises(ValidationError) as caught:
        price_field().clean("12 345 678 901")

    assert caught.value.messages == ["« 12 345 678 901 » est trop grand : 10 chiffres au plus avant la virgule."]


def test_field_names_value_not_a_number():
    with pytest.raises(ValidationError) as caught:
        price_field().clean("douze")

    assert caught.value.messages == ["« douze » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."]


def test_field_rejects_negative():
    with pytest.raises(ValidationError) as caught:
        price_field().clean("-1")

    assert caught.value.messages == ["Saisissez un nombre positif ou nul."]


def test_field_renders_text_input_with_decimal_keyboard():
    html = price_field().widget.render("unit_price", None)

    assert html == '<input type="text" name="unit_price" inputmode="decimal" autocomplete="off">'


def test_field_prepares_french_value():
    assert price_field().prepare_value(Decimal("65.0000")) == "65,00"
    assert price_field().prepare_value(Decimal("0.0125")) == "0,0125"


def test_plain_decimal_keeps_significant_places():
    assert plain_decimal(Decimal("65.0000")) == "65.00"
    assert plain_decimal(Decimal("0.0125")) == "0.0125"
    assert plain_decimal(Decimal("12345678901234.5678")) == "12345678901234.5678"


def test_format_decimal_input_uses_comma():
    assert format_decimal_input(Decimal("1234.5")) == "1234,50"
