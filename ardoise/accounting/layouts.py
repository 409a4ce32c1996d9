"""Journal files in the import layouts of named accounting packages.

Only a layout whose specification was published by the package's vendor is
written here. Cegid Quadra Comptabilité imports the fixed-width « Fichier
d'entrée ASCII ». Cegid describes its « M » record, one entry line, in the
public document KB0014530 (08/2023), whose address is in docs/accounting.md.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.accounting.entries import AccountingError, Entry, EntryLine
from ardoise.accounting.journal import journal_header, journal_rows
from ardoise.core.csvfile import write_csv
from ardoise.core.xlsxfile import XLSX_CONTENT_TYPE, Sheet, write_xlsx

GENERIC = "ardoise"
QUADRA = "quadra"
LAYOUT_CHOICES = [
    (GENERIC, gettext_lazy("Colonnes Ardoise, en CSV ou XLSX")),
    (QUADRA, gettext_lazy("Cegid Quadra Comptabilité, fichier ASCII")),
]

# (field, first position counting from 1, length) of the « M » record, up to the three-character journal code.
QUADRA_FIELDS = [
    ("type", 1, 1),
    ("account", 2, 8),
    ("journal", 10, 2),
    ("folio", 12, 3),
    ("date", 15, 6),
    ("label_code", 21, 1),
    ("label", 22, 20),
    ("direction", 42, 1),
    ("amount", 43, 13),
    ("offset_account", 56, 8),
    ("due_date", 64, 6),
    ("letter", 70, 2),
    ("statistics_code", 72, 3),
    ("short_piece", 75, 5),
    ("job_code", 80, 10),
    ("quantity", 90, 10),
    ("piece", 100, 8),
    ("currency", 108, 3),
    ("journal_3", 111, 3),
]
QUADRA_RECORD_LENGTH = 113
# Twelve digits of cents after the sign.
QUADRA_MAX_CENTS = 10**12 - 1


@dataclass(frozen=True)
class JournalFile:
    content: bytes
    extension: str
    content_type: str
    lines: int


def journal_file(entries: Sequence[Entry], layout: str, file_format: str = "csv") -> JournalFile:
    """Write the entries in ``layout``; ``file_format`` (csv or xlsx) applies to the generic layout only.

    Raises ``AccountingError`` when an entry does not fit the layout.
    """
    if layout == QUADRA:
        content = quadra_ascii(entries)
        return JournalFile(content, "txt", "text/plain; charset=us-ascii", content.count(b"\r\n"))
    rows = list(journal_rows(entries))
    if file_format == "xlsx":
        return JournalFile(
            write_xlsx([Sheet(_("Écritures"), journal_header(), rows)]), "xlsx", XLSX_CONTENT_TYPE, len(rows)
        )
    return JournalFile(write_csv(journal_header(), rows), "csv", "text/csv; charset=utf-8", len(rows))


def quadra_ascii(entries: Sequence[Entry]) -> bytes:
    """Return the entries as Quadra « M » records, one per entry line, each ended by CR LF.

    Raises ``AccountingError`` for a value the fixed width cannot hold, such as
    an account of more than 8 characters, instead of cutting it.
    """
    records = [_quadra_record(entry, line) for entry in entries for line in entry.lines]
    return "".join(record + "\r\n" for record in records).encode("ascii")


def _quadra_record(entry: Entry, line: EntryLine) -> str:
    # Quadra books a customer line on the customer's own account: the auxiliary account.
    account = line.auxiliary or line.account
    if len(account) > 8:
        raise AccountingError(
            _(
                "Le compte « %(account)s » compte %(length)s caractères : le fichier Quadra en accepte 8 au plus. "
                "Raccourcissez-le dans Comptabilité → Comptes, puis exportez à nouveau."
            )
            % {"account": account, "length": len(account)}
        )
    if len(entry.journal) > 2:
        raise AccountingError(
            _(
                "Le code journal « %(code)s » compte %(length)s caractères : le fichier Quadra en demande 2. "
                "Choisissez un code de 2 caractères dans Comptabilité → Comptes, puis exportez à nouveau."
            )
            % {"code": entry.journal, "length": len(entry.journal)}
        )
    cents = int(abs(line.amount) * 100)
    if cents > QUADRA_MAX_CENTS or Decimal(cents) != abs(line.amount) * 100:
        raise AccountingError(
            _("Le montant %(amount)s de l'écriture %(number)s ne tient pas sur les 12 chiffres du fichier Quadra.")
            % {"amount": line.amount, "number": entry.number}
        )
    values = {
        "type": "M",
        "account": account,
        "journal": entry.journal,
        "folio": "000",
        "date": entry.date.strftime("%d%m%y"),
        "label": _ascii(entry.label),
        "direction": "C" if line.amount < 0 else "D",
        "amount": "+%012d" % cents,
        # The matching letter has 2 characters, so a longer one (after ZZ) is left blank for the accountant.
        "letter": line.letter if len(line.letter) <= 2 else "",
        "piece": entry.number,
        "currency": "EUR",
        "journal_3": entry.journal,
    }
    return "".join(_ascii(values.get(name, ""))[:length].ljust(length) for name, _start, length in QUADRA_FIELDS)


def _ascii(text: str) -> str:
    """Return ``text`` in ASCII: accents dropped (« é » becomes « e »), other characters as « ? », no line breaks."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\r", " ").replace("\n", " ").replace("\t", " "))
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    return without_marks.encode("ascii", "replace").decode("ascii")
