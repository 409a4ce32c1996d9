"""XLSX workbooks with real numbers and dates, written with openpyxl in write-only mode.

Amounts stay numbers (Decimal cells with a two-decimal format), so that a
spreadsheet can add them up; dates are dates shown as "04/12/2026". Write-only
mode streams rows instead of building every cell in memory first.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from ardoise.core.csvfile import neutralise

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "DD/MM/YYYY"
# Excel's limit for a sheet name.
MAX_SHEET_TITLE = 31


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title, a bold header row, the rows, and each column's width in characters."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """Return the workbook's bytes."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=_sheet_title(sheet.title))
        _write_sheet(worksheet, sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    response = HttpResponse(write_xlsx(sheets), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _write_sheet(worksheet: WriteOnlyWorksheet, sheet: Sheet) -> None:
    # Write-only sheets take their column widths before the first row.
    for index, width in enumerate(sheet.widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for label in sheet.header:
        cell = WriteOnlyCell(worksheet, value=str(label))
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in sheet.rows:
        worksheet.append([_cell(worksheet, value) for value in row])


def _cell(worksheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = AMOUNT_FORMAT
        return cell
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        # A cell typed as text never runs, but a user who re-saves the sheet as CSV would carry the formula along.
        return neutralise(value)
    return value


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in a sheet name. A date keeps its shape: « 10-12-2026 ».
    cleaned = title
    for character in "/\\":
        cleaned = cleaned.replace(character, "-")
    for character in "[]:*?":
        cleaned = cleaned.replace(character, " ")
    return cleaned[:MAX_SHEET_TITLE] or "Feuille"
