"""The invoice font, and the cleaning of text that the font cannot display.

The font files come from the ``font-source-sans-pro`` package, so every
machine renders the same glyphs with no system font installed.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import font_source_sans_pro
from fontTools.ttLib import TTFont

FONT_DIRECTORY = Path(font_source_sans_pro.font_directory)

# The weights the template uses, as TrueType files. Italic is left out on
# purpose: its files cover fewer characters (no Greek, no Cyrillic) than the
# upright ones.
FONT_FILES = tuple(FONT_DIRECTORY / f"SourceSansPro-{style}.ttf" for style in ("Regular", "Semibold", "Bold"))

REPLACEMENT = "?"


@functools.cache
def covered_characters() -> frozenset[int]:
    """Return the code points that every weight of the invoice font can display."""
    charsets = []
    for path in FONT_FILES:
        with TTFont(path, lazy=True) as font:
            charsets.append(frozenset(font.getBestCmap()))
    return frozenset.intersection(*charsets)


def printable(text: str) -> str:
    """Make ``text`` displayable with the invoice font.

    A PDF/A file may not show a missing glyph, so Typst refuses to compile text
    the font lacks (a Chinese name, an emoji). Such characters become "?",
    invisible format characters are dropped, tabs become spaces and line
    breaks are kept. The XML invoice keeps the exact text.
    """
    covered = covered_characters()
    if covered.issuperset(map(ord, text)):
        return text
    return "".join(_printable_char(char, covered) for char in text)


def _printable_char(char: str, covered: frozenset[int]) -> str:
    if char == "\n" or ord(char) in covered:
        return char
    if char == "\t":
        return " "
    if unicodedata.category(char) in ("Cc", "Cf"):
        return ""
    return REPLACEMENT
