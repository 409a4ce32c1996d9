"""Invoice number patterns such as ``F-{YYYY}-{NNNN}``."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

TOKEN = re.compile(r"\{(YYYY|YY|MM|N+)\}")
NUMBER_CHARACTERS = re.compile(r"[A-Za-z0-9+\-_/]*")


class PatternError(ValueError):
    pass


def validate_pattern(pattern: str) -> None:
    """Raise ``PatternError`` with a French message if the pattern cannot number invoices."""
    counters = re.findall(r"\{N+\}", pattern)
    if len(counters) != 1:
        raise PatternError(
            _("Le modèle « %(pattern)s » doit contenir exactement un compteur, par exemple {NNNN}.")
            % {"pattern": pattern}
        )
    leftover = TOKEN.sub("", pattern)
    if "{" not in leftover and "}" not in leftover and not NUMBER_CHARACTERS.fullmatch(leftover):
        # French e-invoicing rules BR-FR-01/02 restrict invoice numbers to these characters.
        raise PatternError(
            _(
                "Le modèle « %(pattern)s » contient des caractères interdits dans un numéro de facture : "
                "utilisez seulement des lettres sans accent, des chiffres et les signes - + _ /."
            )
            % {"pattern": pattern}
        )
    if "{" in leftover or "}" in leftover:
        raise PatternError(
            _("Le modèle « %(pattern)s » contient une balise inconnue : utilisez {YYYY}, {YY}, {MM} et {NNNN}.")
            % {"pattern": pattern}
        )


def counter_period(pattern: str, date: datetime.date) -> str:
    """Return the period whose counter applies: the counter restarts when it changes."""
    if "{MM}" in pattern and ("{YYYY}" in pattern or "{YY}" in pattern):
        return date.strftime("%Y-%m")
    if "{YYYY}" in pattern or "{YY}" in pattern:
        return date.strftime("%Y")
    return "all"


def format_number(pattern: str, date: datetime.date, value: int) -> str:
    def replace(match: re.Match[str]) -> str:
        tag = match.group(1)
        if tag == "YYYY":
            return "%04d" % date.year
        if tag == "YY":
            return "%02d" % (date.year % 100)
        if tag == "MM":
            return "%02d" % date.month
        return str(value).zfill(len(tag))

    return TOKEN.sub(replace, pattern)
