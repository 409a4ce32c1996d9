"""Invoice number patterns such as ``F-{YYYY}-{NNNN}`` and their reset policies."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

TOKEN = re.compile(r"\{(YYYY|YY|MM|N+)\}")
COUNTER = re.compile(r"\{N+\}")
# A known tag written in another case, such as {yyyy} or {Nnn}.
LOWERCASE_TAG = re.compile(r"\{(?!YYYY\}|YY\}|MM\}|N+\})((?i:yyyy|yy|mm|n+))\}")
NUMBER_CHARACTERS = re.compile(r"[A-Za-z0-9+\-_/]*")
# French e-invoicing rule BR-FR-01: an invoice number (BT-1) has at most 35 characters.
MAX_NUMBER_LENGTH = 35

YEARLY = "yearly"
MONTHLY = "monthly"
NEVER = "never"
RESET_POLICIES = (YEARLY, MONTHLY, NEVER)


class PatternError(ValueError):
    """A pattern or a reset policy that could not number invoices; the message is French."""


def validate_pattern(pattern: str) -> None:
    """Raise ``PatternError`` with a French message if the pattern cannot number invoices."""
    lowercase_tags = LOWERCASE_TAG.findall(pattern)
    if lowercase_tags:
        # {nnn} is not a counter, so the count below would wrongly report none.
        raise PatternError(
            _(
                "Le modèle « %(pattern)s » contient des balises en minuscules (%(tags)s) : les balises s'écrivent "
                "en majuscules, {YYYY}, {YY}, {MM} et {NNNN}."
            )
            % {"pattern": pattern, "tags": ", ".join("{%s}" % tag for tag in lowercase_tags)}
        )
    counters = COUNTER.findall(pattern)
    if len(counters) != 1:
        raise PatternError(
            _(
                "Le modèle « %(pattern)s » doit contenir exactement un compteur, par exemple {NNNN} "
                "(il en contient %(count)s)."
            )
            % {"pattern": pattern, "count": len(counters)}
        )
    leftover = TOKEN.sub("", pattern)
    if "{" in leftover or "}" in leftover:
        raise PatternError(
            _("Le modèle « %(pattern)s » contient une balise inconnue : utilisez {YYYY}, {YY}, {MM} et {NNNN}.")
            % {"pattern": pattern}
        )
    if not NUMBER_CHARACTERS.fullmatch(leftover):
        # French e-invoicing rule BR-FR-02 restricts invoice numbers to these characters.
        raise PatternError(
            _(
                "Le modèle « %(pattern)s » contient des caractères interdits dans un numéro de facture : "
                "utilisez seulement des lettres sans accent, des chiffres et les signes - + _ /."
            )
            % {"pattern": pattern}
        )
    sample = format_number(pattern, datetime.date(2026, 12, 31), 1)
    if len(sample) > MAX_NUMBER_LENGTH:
        raise PatternError(
            _(
                "Le modèle « %(pattern)s » donne des numéros de %(length)s caractères, par exemple « %(sample)s » : "
                "les règles françaises de la facture électronique en permettent 35 au plus. Raccourcissez-le."
            )
            % {"pattern": pattern, "length": len(sample), "sample": sample}
        )


def validate_series(pattern: str, reset: str) -> None:
    """Raise ``PatternError`` unless the pattern is valid and its numbers stay unique under ``reset``.

    A counter that restarts each year would repeat numbers unless the year is
    part of the number, and one that restarts each month needs both the year
    and the month.
    """
    if reset not in RESET_POLICIES:
        raise PatternError(
            _("La remise à zéro « %(reset)s » est inconnue : choisissez yearly, monthly ou never.") % {"reset": reset}
        )
    validate_pattern(pattern)
    has_year = "{YYYY}" in pattern or "{YY}" in pattern
    if reset == MONTHLY and not (has_year and "{MM}" in pattern):
        raise PatternError(
            _(
                "Le compteur du modèle « %(pattern)s » ne peut pas repartir à 1 chaque mois : ajoutez l'année "
                "({YYYY} ou {YY}) et le mois ({MM}) au modèle, sinon les numéros se répéteraient."
            )
            % {"pattern": pattern}
        )
    if reset == YEARLY and not has_year:
        raise PatternError(
            _(
                "Le compteur du modèle « %(pattern)s » ne peut pas repartir à 1 chaque année : ajoutez l'année "
                "({YYYY} ou {YY}) au modèle, ou choisissez de ne jamais remettre le compteur à zéro."
            )
            % {"pattern": pattern}
        )


def counter_period(reset: str, date: datetime.date) -> str:
    """Return the period whose counter applies: the counter restarts when it changes."""
    if reset == MONTHLY:
        return date.strftime("%Y-%m")
    if reset == YEARLY:
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
