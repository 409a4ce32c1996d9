"""The date field of every form: both typed formats, and errors that name the value and the fix."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from ardoise.core.forms import DateField


@pytest.mark.parametrize("typed", ["04/12/2026", "2026-12-04", " 4/12/2026 "])
def test_date_read_in_either_format(typed):
    assert DateField().clean(typed) == datetime.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2026", "La date « 31/02/2026 » n'existe pas dans le calendrier : vérifiez le jour et le mois."),
        ("2026-13-01", "La date « 2026-13-01 » n'existe pas dans le calendrier : vérifiez le jour et le mois."),
        ("demain", "La date « demain » n'est pas valide : saisissez-la au format JJ/MM/AAAA, par exemple 04/12/2026."),
        (
            "01/01/2300",
            "La date « 01/01/2300 » est hors limites : saisissez une date entre le 01/01/1900 et le 31/12/2199.",
        ),
    ],
)
def test_bad_date_named_with_fix(typed, message):
    with pytest.raises(ValidationError) as raised:
        DateField().clean(typed)

    assert raised.value.messages == [message]


def test_empty_optional_date_is_none():
    assert DateField(required=False).clean("") is None


def test_empty_required_date_refused():
    with pytest.raises(ValidationError) as raised:
        DateField().clean("")

    assert raised.value.messages == ["Ce champ est obligatoire."]
