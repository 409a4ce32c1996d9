"""CSV files that French spreadsheets open as they are: UTF-8 with a BOM, semicolons, decimal commas.

Excel and LibreOffice in French read a comma as the decimal separator, so
fields are separated by semicolons. The BOM marks the file as UTF-8 for Excel.
Text that a spreadsheet would take for a formula (starting with = + - @, a
tab or a carriage return) gets a leading apostrophe, so that a customer name
such as ``=HYPERLINK(…)`` is shown, never run (CSV injection).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from ardoise.core.formats import format_date

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """Write one value the way a French spreadsheet reads it.

    Decimal: "1234,56" (no thousands separator, which would make it text);
    date: "04/12/2026"; None: empty; bool: "oui" or "non"; dict or list:
    JSON; text: as it is, with an apostrophe before a leading formula character.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return "%s %s" % (format_date(value.date()), value.strftime("%H:%M"))
    if isinstance(value, datetime.date):
        return format_date(value)
    if isinstance(value, (dict, list)):
        return neutralise(json.dumps(value, ensure_ascii=False, default=str))
    return neutralise(str(value))


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Return the CSV file's bytes: BOM, header row, then one line per row."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([neutralise(str(label)) for label in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """Return the CSV as a download named ``filename``."""
    response = HttpResponse(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
