"""Bank statement files: format detection and the parsed shape shared by the readers.

``detect_format`` looks at the content, never at the file name, and
``parse_statement_file`` hands the bytes to the CAMT.053, OFX or CSV reader.
Every reader raises ``StatementFileError`` with a French message that names
the line at fault, so that a malformed file is rejected whole.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core.formats import format_decimal
from ardoise.core.forms import parse_french_decimal
from ardoise.einvoice.xmlsafe import UTF8_BOM, UTF16_BOMS, starts_like_xml

if TYPE_CHECKING:
    from ardoise.banking.csv_statements import CsvLayout

# A year of daily CAMT.053 statements of a small business weighs a few megabytes.
MAX_STATEMENT_BYTES = 10 * 1024 * 1024

# Spaces that group thousands in amounts: space, no-break space, narrow no-break space, apostrophe.
_GROUPING = str.maketrans("", "", " \u00a0\u202f'’")
_CURRENCY_MARK = re.compile(r"€|\bEUR\b", re.IGNORECASE)


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", gettext_lazy("CAMT.053 (ISO 20022)")
    OFX = "ofx", gettext_lazy("OFX")
    CSV = "csv", gettext_lazy("CSV")


class StatementFileError(ValueError):
    """A statement file that cannot be imported, with a French message for the user.

    ``message`` is already translated and names the line at fault when there
    is one (``line``), the problem and the fix.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class ParsedTransaction:
    """One booked movement of a statement, as the file gives it.

    ``amount`` is signed: positive for a credit (money received), negative for
    a debit. ``bank_id`` is the bank's own identifier of the movement (CAMT
    AcctSvcrRef or NtryRef, OFX FITID) when the file has one.
    """

    line: int
    booking_date: datetime.date
    amount: Decimal
    currency: str
    value_date: datetime.date | None = None
    label: str = ""
    remittance: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    bank_id: str = ""
    end_to_end_id: str = ""


@dataclass
class ParsedStatement:
    """The movements of one bank account read from a file, with the account details the file gives."""

    format: str
    currency: str = "EUR"
    iban: str = ""
    account_number: str = ""
    account_name: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    transactions: list[ParsedTransaction] = field(default_factory=list)

    def fill_period(self) -> None:
        """Take the period from the booking dates when the file does not state it."""
        dates = [transaction.booking_date for transaction in self.transactions]
        if dates and self.period_start is None:
            self.period_start = min(dates)
        if dates and self.period_end is None:
            self.period_end = max(dates)


def detect_format(data: bytes, filename: str) -> str:
    """Return the ``StatementFormat`` of the file's content, or raise ``StatementFileError``."""
    if not data.strip(b" \t\r\n\x00" + UTF8_BOM):
        raise StatementFileError(
            _(
                "Le fichier « %(filename)s » est vide. Exportez de nouveau le relevé depuis votre banque "
                "(CAMT.053, OFX ou CSV) puis réessayez."
            )
            % {"filename": filename}
        )
    if len(data) > MAX_STATEMENT_BYTES:
        raise StatementFileError(
            _(
                "Le fichier « %(filename)s » pèse %(size)s Mo : la limite est de %(limit)s Mo. "
                "Exportez une période plus courte (un mois, par exemple)."
            )
            % {
                "filename": filename,
                "size": megabytes(len(data)),
                "limit": MAX_STATEMENT_BYTES // 1024 // 1024,
            }
        )

    head = data[:4096]
    if head.startswith(b"%PDF"):
        raise _unknown_format(filename, _("c'est un PDF, qu'Ardoise ne sait pas lire"))
    if head.startswith(b"PK\x03\x04"):
        raise _unknown_format(
            filename, _("c'est un classeur Excel ou une archive ; enregistrez le classeur au format CSV")
        )
    if starts_like_xml(data) and not _looks_like_ofx(head):
        return StatementFormat.CAMT053
    if _looks_like_ofx(head):
        return StatementFormat.OFX
    if b"\x00" in head and not head.startswith(UTF16_BOMS):
        raise _unknown_format(filename, _("il contient des données binaires et non du texte"))
    return StatementFormat.CSV


def megabytes(size: int) -> str:
    """Write a file size in megabytes the French way, with one decimal: « 12,4 »."""
    return format_decimal(Decimal(size) / (1024 * 1024), 1)


def parse_statement_file(
    data: bytes, filename: str, statement_format: str, *, csv_layout: CsvLayout | None = None
) -> list[ParsedStatement]:
    """Read the statements of a file in ``statement_format``; a CSV file needs its column layout."""
    from ardoise.banking import camt, csv_statements, ofx

    if statement_format == StatementFormat.CAMT053:
        statements = camt.parse_camt053(data, filename)
    elif statement_format == StatementFormat.OFX:
        statements = ofx.parse_ofx(data, filename)
    else:
        if csv_layout is None:
            raise TypeError("parse_statement_file() needs a csv_layout for a CSV file")
        statements = [csv_statements.parse_csv(data, csv_layout)]
    for statement in statements:
        statement.fill_period()
    return statements


def _looks_like_ofx(head: bytes) -> bool:
    upper = head.upper()
    return b"OFXHEADER" in upper or b"<OFX>" in upper


def _unknown_format(filename: str, reason: str) -> StatementFileError:
    return StatementFileError(
        _(
            "Le fichier « %(filename)s » n'est pas un relevé bancaire lisible : %(reason)s. "
            "Exportez le relevé depuis votre banque au format CAMT.053 (XML), OFX ou CSV."
        )
        % {"filename": filename, "reason": reason}
    )


def decode_text(data: bytes, encoding: str = "") -> str:
    """Decode a text file: UTF-8 (with or without BOM), else Windows-1252, else Latin-1.

    French banks export in UTF-8 or in Windows-1252, the Latin-1 superset
    that Windows uses. Bytes that are valid UTF-8 are very unlikely to be
    meant as Windows-1252 text, so UTF-8 is tried first. ``encoding`` forces
    one codec; then a byte that does not fit raises ``StatementFileError``
    naming its line.
    """
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16")
    if encoding:
        try:
            return data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise StatementFileError(
                _(
                    "Ligne %(line)s : le fichier n'est pas encodé en %(encoding)s. "
                    "Choisissez un autre encodage, ou la détection automatique, dans la correspondance des colonnes."
                )
                % {"line": line, "encoding": encoding.upper()},
                line=line,
            ) from None
    for codec in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    # Windows-1252 leaves five bytes undefined; Latin-1 decodes every byte.
    return data.decode("latin-1")


def parse_amount(raw: str, *, decimal_comma: bool = True) -> Decimal:
    """Parse an amount as banks export it: « -1 234,56 », « 1.234,56 », « 12,50- », « 1234.56 € ».

    ``decimal_comma`` only settles the ambiguous case of one separator
    followed by three digits: « 1.234 » is 1234 with a decimal comma and
    1.234 with a decimal dot. Raises ``InvalidOperation`` for anything that
    is not a number.
    """
    text = _CURRENCY_MARK.sub("", raw).strip()
    negative = False
    if text.endswith("-") and not text.startswith(("-", "+")):
        negative, text = True, text[:-1].strip()
    elif text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    text = text.translate(_GROUPING)
    grouping = "." if decimal_comma else ","
    if re.fullmatch(r"[+-]?\d{1,3}(%s\d{3})+" % re.escape(grouping), text):
        text = text.replace(grouping, "")
    value = parse_french_decimal(text)
    return -value if negative else value


def check_amount_places(value: Decimal, raw: str, line: int) -> Decimal:
    """Return ``value`` with two decimals, or raise when the text had more (a cent is the smallest amount)."""
    try:
        rounded = value.quantize(Decimal("0.01"))
    except InvalidOperation:
        rounded = None
    if rounded is None or rounded != value:
        raise StatementFileError(
            _("Ligne %(line)s : le montant « %(value)s » a plus de deux décimales. Corrigez-le puis réessayez.")
            % {"line": line, "value": raw.strip()},
            line=line,
        )
    return rounded


def amount_error(raw: str, line: int) -> StatementFileError:
    return StatementFileError(
        _(
            "Ligne %(line)s : montant « %(value)s » illisible. Un montant s'écrit par exemple 1234,56 ou -12,50 ; "
            "corrigez la ligne ou la colonne choisie pour le montant."
        )
        % {"line": line, "value": raw.strip()},
        line=line,
    )


def compact_text(text: str) -> str:
    """Collapse runs of blanks into one space and strip the ends, as exports pad their fields."""
    return " ".join(text.split())
