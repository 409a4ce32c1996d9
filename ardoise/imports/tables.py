"""Read a spreadsheet that a user uploads (CSV or XLSX) into a header and rows of text cells.

Files come from other software and from people: Latin-1 or UTF-8, « ; » or
« , » or tabs, blank lines, trailing spaces, numbers and dates typed in an
XLSX. Every cell becomes trimmed text; the import then parses it like a form
field. The limits stop a huge or crafted file before it is read whole.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from ardoise.banking.csv_statements import guess_delimiter
from ardoise.banking.statements import decode_text
from ardoise.core.formats import format_date

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# An XLSX is a ZIP archive: its members, once inflated, must stay within this size.
MAX_XLSX_INFLATED = 50 * 1024 * 1024
ZIP_SIGNATURE = b"PK\x03\x04"


class TableFileError(Exception):
    """A file that cannot be read as a table, with a French message naming the file and the fix."""


@dataclass(frozen=True)
class Table:
    """The column titles of a file and its non-blank rows, each with its line number in the file."""

    header: list[str]
    rows: list[tuple[int, list[str]]]

    def cell(self, row: list[str], column: int | None) -> str:
        if column is None or column >= len(row):
            return ""
        return row[column]


def read_table(data: bytes, filename: str) -> Table:
    """Return the table of a CSV or XLSX file, its first non-blank row taken as the column titles."""
    if len(data) > MAX_BYTES:
        raise TableFileError(
            _("Le fichier « %(name)s » fait plus de 5 Mo : découpez-le en plusieurs fichiers.") % {"name": filename}
        )
    rows = _xlsx_rows(data, filename) if data.startswith(ZIP_SIGNATURE) else _csv_rows(data, filename)
    non_blank = [(line, cells) for line, cells in rows if any(cells)]
    if not non_blank:
        raise TableFileError(
            _("Le fichier « %(name)s » est vide : il doit contenir une ligne de titres puis une ligne par fiche.")
            % {"name": filename}
        )
    (_line, header), *records = non_blank
    if len(records) > MAX_ROWS:
        raise TableFileError(
            _("Le fichier « %(name)s » contient %(count)s lignes : 10 000 au plus par import. Découpez-le.")
            % {"name": filename, "count": len(records)}
        )
    return Table(header=header, rows=records)


def _csv_rows(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    text = decode_text(data)
    if "\x00" in text:
        raise TableFileError(
            _("Le fichier « %(name)s » n'est pas un fichier texte CSV : enregistrez-le en CSV ou en XLSX.")
            % {"name": filename}
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=guess_delimiter(text))
    rows = []
    line = 1
    try:
        for cells in reader:
            rows.append((line, [cell.strip() for cell in cells]))
            line = reader.line_num + 1
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as error:
        raise TableFileError(
            _("Ligne %(line)s du fichier « %(name)s » illisible (%(error)s) : corrigez-la puis réessayez.")
            % {"line": reader.line_num, "name": filename, "error": error}
        ) from None
    return rows


def _xlsx_rows(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = TableFileError(
        _(
            "Le fichier « %(name)s » n'est pas un classeur XLSX lisible : ouvrez-le et enregistrez-le "
            "à nouveau en XLSX ou en CSV."
        )
        % {"name": filename}
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise unreadable from None
    if inflated > MAX_XLSX_INFLATED:
        raise TableFileError(
            _(
                "Le classeur « %(name)s » est trop volumineux une fois décompressé : découpez-le "
                "ou enregistrez-le en CSV."
            )
            % {"name": filename}
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise unreadable from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((line, [_cell_text(value) for value in values]))
            if len(rows) > MAX_ROWS + 1:
                break
    finally:
        workbook.close()
    return rows


def _cell_text(value: object) -> str:
    """Write a spreadsheet value as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return format_date(value.date())
    if isinstance(value, datetime.date):
        return format_date(value)
    if isinstance(value, float):
        # Spreadsheets store 12.5 as a float: repr gives the shortest exact decimal text.
        number = Decimal(repr(value))
        return format(number.normalize(), "f") if number == number.to_integral() else repr(value)
    return str(value).strip()
