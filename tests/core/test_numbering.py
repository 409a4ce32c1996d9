import datetime

import pytest

from ardoise.core.numbering import PatternError, counter_period, format_number, validate_pattern

DAY = datetime.date(2026, 12, 4)


def test_default_pattern_formats_year_and_padded_counter():
    assert format_number("F-{YYYY}-{NNNN}", DAY, 7) == "F-2026-0007"


def test_counter_wider_than_padding_is_kept_whole():
    assert format_number("F{YY}{NN}", DAY, 123) == "F26123"


def test_month_pattern():
    assert format_number("{YYYY}{MM}-{NNN}", DAY, 1) == "202612-001"


def test_counter_period_follows_the_pattern():
    assert counter_period("F-{YYYY}-{NNNN}", DAY) == "2026"
    assert counter_period("F-{YYYY}{MM}-{NNNN}", DAY) == "2026-12"
    assert counter_period("F-{NNNNN}", DAY) == "all"


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
