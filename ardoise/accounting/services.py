"""Exporting an organisation's accounting: the FEC of a fiscal year."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from ardoise.accounting import fec
from ardoise.accounting.entries import AccountingError, FiscalYear, build_entries, settings_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FecExport:
    filename: str
    content: bytes
    year: FiscalYear
    entries: int
    lines: int


def export_fec(organisation: Any, year: int, *, encoding: str = "iso-8859-15") -> FecExport:
    """Build the FEC of the fiscal year that closes in ``year``.

    Raises ``AccountingError`` with a French message when the organisation has
    no SIREN (the file is named after it) or a document cannot be converted to euros.
    """
    if not organisation.siren:
        raise AccountingError(
            _("Le FEC porte le SIREN de l'entreprise dans son nom : renseignez-le dans les paramètres de l'entreprise.")
        )
    if encoding not in fec.ENCODINGS:
        raise AccountingError(
            _("Encodage « %(value)s » inconnu : choisissez parmi %(choices)s.")
            % {"value": encoding, "choices": ", ".join(fec.ENCODINGS)}
        )
    fiscal_year = FiscalYear.closing_in(year, settings_of(organisation).fiscal_year_end_month)
    entries = build_entries(organisation, fiscal_year.start, fiscal_year.end)
    content = fec.write(entries, encoding=encoding)
    lines = sum(len(entry.lines) for entry in entries)
    logger.info("FEC exported organisation=%s year=%s entries=%s lines=%s", organisation.pk, year, len(entries), lines)
    return FecExport(fec.filename(organisation.siren, fiscal_year.end), content, fiscal_year, len(entries), lines)
