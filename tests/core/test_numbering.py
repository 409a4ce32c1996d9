import datetime

import pytest

from ardoise.core.numbering import (
    MONTHLY,
    NEVER,
    YEARLY,
    PatternError,
    counter_period,
    format_number,
    validate_pattern,
    validate_series,
)

DAY = datetime.date(2026, 12, 4)


def test_default_pattern_formats_year_and_padded_counter():
    assert format_number("F-{YYYY}-{NNNN}", DAY, 7) == "F-2026-0007"


def test_counter_wider_than_padding_is_kept_whole():
    assert format_number("F{YY}{NN}", DAY, 123) == "F26123"


def test_month_pattern():
    assert format_number("{YYYY}{MM}-{NNN}", DAY, 1) == "202612-001"


def test_counter_period_follows_the_reset_policy():
    assert counter_period(YEARLY, DAY) == "2026"
    assert counter_period(MONTHLY, DAY) == "2026-12"
    assert counter_period(NEVER, DAY) == "all"


@pytest.mark.parametrize("pattern", ["F-{YYYY}", "F-{NN}-{NNN}", "F-{XX}-{NNN}"])
def test_invalid_patterns_are_rejected_in_french(pattern):
    with pytest.raises(PatternError, match=r"modèle"):
        validate_pattern(pattern)


@pytest.mark.parametrize("pattern", ["F {YYYY}-{NNNN}", "F.{YYYY}.{NNNN}", "Fé-{NNNN}"])
def test_patterns_with_characters_the_french_rules_forbid_are_rejected(pattern):
    with pytest.raises(PatternError, match="caractères interdits"):
        validate_pattern(pattern)


def test_valid_pattern_passes():
    validate_pattern("FA/{YYYY}/{NNNN}")


def test_two_counters_are_rejected_with_their_count():
    with pytest.raises(PatternError) as raised:
        validate_pattern("F-{NN}-{NNN}")
    assert str(raised.value) == (
        "Le modèle « F-{NN}-{NNN} » doit contenir exactement un compteur, par exemple {NNNN} (il en contient 2)."
    )


def test_unknown_token_is_named():
    with pytest.raises(PatternError, match=r"balise inconnue : utilisez \{YYYY\}"):
        validate_pattern("F-{DD}-{NNNN}")


def test_numbers_longer_than_35_characters_are_rejected():
    # 31 characters of prefix + 5 digits: 36 characters.
    with pytest.raises(PatternError, match=r"36 caractères.*35 au plus"):
        validate_pattern("FACTURE-PRESTATIONS-FORMATION-X{NNNNN}")
    validate_pattern("FACTURE-PRESTATIONS-FORMATION-{NNNNN}")


@pytest.mark.parametrize(
    ("pattern", "reset"),
    [
        ("F-{YYYY}-{NNNN}", YEARLY),
        ("F{YY}-{NNNN}", YEARLY),
        ("F-{YYYY}{MM}-{NNN}", MONTHLY),
        ("F{YY}{MM}{NNN}", MONTHLY),
        ("F-{YYYY}{MM}-{NNNN}", YEARLY),
        ("F-{NNNNNN}", NEVER),
        ("F-{YYYY}-{NNNNNN}", NEVER),
    ],
)
def test_reset_policies_that_keep_numbers_unique(pattern, reset):
    validate_series(pattern, reset)


@pytest.mark.parametrize(
    ("pattern", "reset", "message"),
    [
        ("F-{NNNN}", YEARLY, "chaque année : ajoutez l'année"),
        ("F-{MM}-{NNNN}", YEARLY, "chaque année : ajoutez l'année"),
        ("F-{YYYY}-{NNNN}", MONTHLY, "chaque mois : ajoutez l'année"),
        ("F-{MM}-{NNNN}", MONTHLY, "chaque mois : ajoutez l'année"),
        ("F-{NNNN}", "weekly", "remise à zéro « weekly » est inconnue"),
    ],
)
def test_reset_policies_that_would_repeat_numbers_are_rejected(pattern, reset, message):
    with pytest.raises(PatternError, match=message):
        validate_series(pattern, reset)
