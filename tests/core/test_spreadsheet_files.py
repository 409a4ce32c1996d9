"""CSV and XLSX files for French spreadsheets: BOM, semicolons, decimal commas, formulas neutralised, real numbers."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from ardoise.core.csvfile import csv_cell, write_csv
from ardoise.core.xlsxfile import Sheet, write_xlsx


def test_csv_starts_with_bom_and_uses_semicolons():
    content = write_csv(["Client", "Montant"], [["Martin", Decimal("1234.50")]])

    assert content.startswith("\ufeff".encode())
    assert content.decode("utf-8-sig") == "Client;Montant\r\nMartin;1234,50\r\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("-12.30"), "-12,30"),
        (Decimal("1000000.00"), "1000000,00"),
        (datetime.date(2026, 12, 4), "04/12/2026"),
        (42, "42"),
        (None, ""),
        ("Boulangerie Martin", "Boulangerie Martin"),
    ],
)
def test_csv_cell_formats_french_way(value, expected):
    assert csv_cell(value) == expected


@pytest.mark.parametrize("text", ["=1+1", "+33 6 12", "-2", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("x")'])
def test_csv_neutralises_formula_text(text):
    assert csv_cell(text) == "'" + text


def test_csv_quotes_semicolons_and_neutralises_header():
    content = write_csv(["=Nom"], [["Dupont; fils"]]).decode("utf-8-sig")

    assert content == '\'=Nom\r\n"Dupont; fils"\r\n'


def test_xlsx_keeps_numbers_dates_and_bold_header():
    content = write_xlsx(
        [
            Sheet(
                "Balance âgée au 10/12/2026 : clients",
                ["Client", "Montant", "Échéance"],
                [["=cmd()", Decimal("1234.56"), datetime.date(2026, 12, 4)]],
                widths=[30, 14, 12],
            )
        ]
    )

    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    header, row = list(sheet.iter_rows())
    assert [cell.value for cell in header] == ["Client", "Montant", "Échéance"]
    assert all(cell.font.bold for cell in header)
    assert row[0].value == "'=cmd()"
    assert row[0].data_type == "s"
    assert row[1].value == pytest.approx(1234.56)
    assert row[1].data_type == "n"
    assert row[1].number_format == "#,##0.00"
    assert row[2].value == datetime.datetime(2026, 12, 4)
    assert row[2].number_format == "DD/MM/YYYY"
    assert sheet.column_dimensions["A"].width == 30
    # Excel refuses « / » and « : » in a sheet name, and more than 31 characters.
    assert sheet.title == "Balance âgée au 10-12-2026   cl"
