"""The entries of a period as a CSV or XLSX journal, for accounting software that imports a spreadsheet.

Accounting packages commonly import a spreadsheet of entries through a
column-mapping wizard. This layout gives each column a plain French title,
with one row per entry line and amounts split into debit and credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _

from ardoise.accounting.entries import Entry


def journal_header() -> list[str]:
    return [
        _("Journal"),
        _("Date"),
        _("N° d'écriture"),
        _("Pièce"),
        _("Compte"),
        _("Libellé du compte"),
        _("Compte auxiliaire"),
        _("Libellé de l'écriture"),
        _("Débit"),
        _("Crédit"),
        _("Lettrage"),
        _("Montant en devise"),
        _("Devise"),
    ]


def journal_rows(entries: Iterable[Entry]) -> Iterable[Sequence[Any]]:
    """Yield one row per entry line: dates as dates and amounts as decimals, for the CSV and XLSX writers."""
    for entry in entries:
        for line in entry.lines:
            yield [
                entry.journal,
                entry.date,
                entry.number,
                entry.piece_ref,
                line.account,
                line.account_label,
                line.auxiliary,
                entry.label,
                line.debit,
                line.credit,
                line.letter,
                line.currency_amount,
                line.currency,
            ]
