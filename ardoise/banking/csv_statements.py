"""Reader of CSV bank exports, with the column layout saved per bank account.

French banks each export their own CSV: « ; » or tab separators, a decimal
comma, dates as dd/mm/yyyy, Windows-1252 or UTF-8, a few lines about the
account before the column titles, and either one signed amount column or a
debit and a credit column. ``CsvLayout`` says where each value is;
``detect_layout`` proposes one from the column titles, or from the values
when the file has no titles, as a starting point the user checks.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.banking.statements import (
    ParsedStatement,
    ParsedTransaction,
    StatementFileError,
    StatementFormat,
    amount_error,
    check_amount_places,
    compact_text,
    decode_text,
    parse_amount,
)

DELIMITERS = {
    ";": gettext_lazy("Point-virgule (;)"),
    ",": gettext_lazy("Virgule (,)"),
    "\t": gettext_lazy("Tabulation"),
}
DATE_FORMATS = {
    "%d/%m/%Y": gettext_lazy("JJ/MM/AAAA"),
    "%d/%m/%y": gettext_lazy("JJ/MM/AA"),
    "%d-%m-%Y": gettext_lazy("JJ-MM-AAAA"),
    "%d.%m.%Y": gettext_lazy("JJ.MM.AAAA"),
    "%Y-%m-%d": gettext_lazy("AAAA-MM-JJ"),
}
ENCODINGS = {
    "": gettext_lazy("Détection automatique"),
    "utf-8": gettext_lazy("UTF-8"),
    "cp1252": gettext_lazy("Windows-1252 / Latin-1"),
}
# The columns of a layout, with the name a message gives each one.
COLUMN_NAMES = {
    "date_column": gettext_lazy("date"),
    "value_date_column": gettext_lazy("date de valeur"),
    "amount_column": gettext_lazy("montant"),
    "debit_column": gettext_lazy("débit"),
    "credit_column": gettext_lazy("crédit"),
    "label_column": gettext_lazy("libellé"),
    "details_column": gettext_lazy("détail du libellé"),
    "counterparty_column": gettext_lazy("tiers"),
    "counterparty_iban_column": gettext_lazy("IBAN du tiers"),
    "reference_column": gettext_lazy("référence"),
}
# Lines read to find the column titles and to guess the separator and formats.
SAMPLE_ROWS = 60


@dataclass(frozen=True)
class CsvLayout:
    """Where a bank's CSV export puts each value. Columns are numbered from 1; 0 means absent."""

    delimiter: str = ";"
    encoding: str = ""
    skip_rows: int = 0
    has_header: bool = True
    date_format: str = "%d/%m/%Y"
    decimal_comma: bool = True
    date_column: int = 0
    value_date_column: int = 0
    amount_column: int = 0
    debit_column: int = 0
    credit_column: int = 0
    label_column: int = 0
    details_column: int = 0
    counterparty_column: int = 0
    counterparty_iban_column: int = 0
    reference_column: int = 0

    @property
    def is_complete(self) -> bool:
        """Whether the layout names the columns every transaction needs: a date, an amount and a label."""
        has_amount = bool(self.amount_column or self.debit_column or self.credit_column)
        return bool(self.date_column and self.label_column and has_amount)

    def columns(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COLUMN_NAMES if getattr(self, name)}

    @classmethod
    def field_names(cls) -> list[str]:
        return [item.name for item in fields(cls)]


# Reading.


def read_rows(data: bytes, layout: CsvLayout) -> list[tuple[int, list[str]]]:
    """Return the records after the skipped lines as (line of the record, cells)."""
    text = decode_text(data, layout.encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    rows = []
    previous_end = 0
    try:
        for cells in reader:
            rows.append((previous_end + 1, cells))
            previous_end = reader.line_num
    except csv.Error as error:
        line = reader.line_num
        raise StatementFileError(
            _("Ligne %(line)s : ligne CSV illisible (%(error)s). Corrigez-la puis réessayez.")
            % {"line": line, "error": error},
            line=line,
        ) from None
    return rows[layout.skip_rows :]


def parse_csv(data: bytes, layout: CsvLayout, currency: str = "EUR") -> ParsedStatement:
    """Read the transactions of a CSV export with ``layout``; raise ``StatementFileError`` on the first bad line."""
    if not layout.is_complete:
        raise StatementFileError(
            _(
                "Les colonnes du fichier CSV ne sont pas toutes indiquées : choisissez au moins la date, le libellé "
                "et le montant (ou le débit et le crédit)."
            )
        )
    rows = read_rows(data, layout)
    if layout.has_header:
        rows = rows[1:]
    statement = ParsedStatement(format=StatementFormat.CSV, currency=currency)
    needed = max(layout.columns().values())
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        transaction = _transaction(line, cells, layout, needed, currency)
        if transaction is not None:
            statement.transactions.append(transaction)
    return statement


def _transaction(
    line: int, cells: list[str], layout: CsvLayout, needed: int, currency: str
) -> ParsedTransaction | None:
    def cell(column: int) -> str:
        return cells[column - 1].strip() if 0 < column <= len(cells) else ""

    raw_date = cell(layout.date_column)
    amount_cells = [cell(column) for column in (layout.amount_column, layout.debit_column, layout.credit_column)]
    if not raw_date and not any(amount_cells):
        # A total or a note below the transactions, as some banks add: not a transaction.
        return None
    if len(cells) < needed:
        missing = [str(COLUMN_NAMES[name]) for name, column in layout.columns().items() if column > len(cells)]
        raise StatementFileError(
            _(
                "Ligne %(line)s : %(count)s colonnes au lieu d'au moins %(needed)s, il manque : %(missing)s. "
                "Vérifiez le séparateur et cette ligne du fichier."
            )
            % {"line": line, "count": len(cells), "needed": needed, "missing": ", ".join(missing)},
            line=line,
        )

    return ParsedTransaction(
        line=line,
        booking_date=parse_date(raw_date, layout.date_format, line),
        value_date=parse_date(cell(layout.value_date_column), layout.date_format, line)
        if cell(layout.value_date_column)
        else None,
        amount=_amount(line, layout, cell),
        currency=currency,
        label=compact_text(cell(layout.label_column)),
        remittance=compact_text(cell(layout.details_column)),
        counterparty_name=compact_text(cell(layout.counterparty_column)),
        counterparty_iban=cell(layout.counterparty_iban_column).replace(" ", "").upper(),
        end_to_end_id=compact_text(cell(layout.reference_column)),
    )


def _amount(line: int, layout: CsvLayout, cell: Callable[[int], str]) -> Decimal:
    if layout.amount_column:
        return _checked_amount(cell(layout.amount_column), line, layout)
    debit_raw, credit_raw = cell(layout.debit_column), cell(layout.credit_column)
    if not debit_raw and not credit_raw:
        raise StatementFileError(
            _("Ligne %(line)s : ni le débit ni le crédit n'est renseigné. Corrigez la ligne puis réessayez.")
            % {"line": line},
            line=line,
        )
    # Debits are exported as « 12,50 » or « -12,50 » depending on the bank: both leave the account.
    debit = abs(_checked_amount(debit_raw, line, layout)) if debit_raw else Decimal("0.00")
    credit = abs(_checked_amount(credit_raw, line, layout)) if credit_raw else Decimal("0.00")
    return credit - debit


def _checked_amount(raw: str, line: int, layout: CsvLayout) -> Decimal:
    if not raw:
        raise StatementFileError(
            _("Ligne %(line)s : le montant est vide. Corrigez la ligne puis réessayez.") % {"line": line}, line=line
        )
    try:
        value = parse_amount(raw, decimal_comma=layout.decimal_comma)
    except (InvalidOperation, ValueError):
        raise amount_error(raw, line) from None
    return check_amount_places(value, raw, line)


def parse_date(raw: str, date_format: str, line: int) -> datetime.date:
    # Some exports add a time after the date (« 04/12/2026 10:22 », « 2026-12-04T10:22:31 »).
    token = raw.strip().split(" ")[0].split("T")[0]
    try:
        return datetime.date(*time.strptime(token, date_format)[:3])
    except ValueError:
        raise StatementFileError(
            _(
                "Ligne %(line)s : date « %(value)s » invalide (format attendu %(format)s). "
                "Corrigez la ligne ou le format de date de la correspondance des colonnes."
            )
            % {"line": line, "value": raw.strip(), "format": DATE_FORMATS.get(date_format, date_format)},
            line=line,
        ) from None


# Detection.


def detect_layout(data: bytes) -> CsvLayout:
    """Propose a layout for a CSV export: separator, encoding, title line, columns, date and decimal formats.

    The result may be incomplete (``is_complete`` false) when neither the
    titles nor the values tell where the date, amount and label are.
    """
    text = decode_text(data)
    delimiter = guess_delimiter(text)
    layout = CsvLayout(delimiter=delimiter)
    rows = [cells for _line, cells in read_rows(data, layout)[:SAMPLE_ROWS]]

    for index, cells in enumerate(rows):
        columns = _columns_from_titles(cells)
        if columns.get("date_column") and (
            columns.get("amount_column") or columns.get("debit_column") or columns.get("credit_column")
        ):
            layout = _with_columns(replace(layout, skip_rows=index, has_header=True), columns)
            data_rows = rows[index + 1 :]
            break
    else:
        start, columns = _columns_from_values(rows)
        layout = _with_columns(replace(layout, skip_rows=start, has_header=False), columns)
        data_rows = rows[start:]

    if layout.date_column:
        dates = [_cell(cells, layout.date_column) for cells in data_rows]
        layout = replace(layout, date_format=_guess_date_format([date for date in dates if date]))
    amount_columns = [layout.amount_column, layout.debit_column, layout.credit_column]
    amounts = [_cell(cells, column) for cells in data_rows for column in amount_columns if column]
    return replace(layout, decimal_comma=_guess_decimal_comma([amount for amount in amounts if amount]))


def _with_columns(layout: CsvLayout, columns: dict[str, int]) -> CsvLayout:
    return CsvLayout(**{**asdict(layout), **columns})


def _cell(cells: list[str], column: int) -> str:
    return cells[column - 1].strip() if 0 < column <= len(cells) else ""


def guess_delimiter(text: str) -> str:
    """Pick the separator that splits most lines into the same number (at least two) of cells."""
    best, best_score = ";", (0, 0)
    lines = [line for line in text.splitlines() if line.strip()][:SAMPLE_ROWS]
    for delimiter in DELIMITERS:
        counts = Counter(len(cells) for cells in csv.reader(lines, delimiter=delimiter))
        if not counts:
            continue
        width, rows = max(counts.items(), key=lambda item: (item[1], item[0]))
        # On a tie, the separator that splits lines into more cells wins: a decimal comma
        # splits each line of a « ; » file in two, which is not what the file means.
        score = (rows, width) if width >= 2 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def normalise_title(title: str) -> str:
    """Lower-case a column title without accents or punctuation: « Débit (€) » becomes « debit »."""
    decomposed = unicodedata.normalize("NFKD", title)
    plain = "".join(character for character in decomposed if not unicodedata.combining(character)).lower()
    plain = re.sub(r"\((eur|€|euros?)\)|\beuros?\b|€", " ", plain)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _title_kind(title: str) -> str:
    """Return which layout column a normalised title names, or ""."""
    if not title:
        return ""
    words = title.split()
    if "date" in words:
        return "value_date_column" if "valeur" in words or "value" in words else "date_column"
    if words[0] == "debit":
        return "debit_column"
    if words[0] == "credit":
        return "credit_column"
    if words[0] in {"montant", "amount", "somme"} or title.startswith("total amount"):
        return "" if "tva" in words or "vat" in words else "amount_column"
    if "iban" in words:
        return "counterparty_iban_column"
    if set(words) & {"tiers", "contrepartie", "beneficiaire", "emetteur", "counterparty", "donneur", "crediteur"}:
        return "counterparty_column"
    if words[0] in {"libelle", "intitule", "description", "designation", "label", "nature"}:
        return "label_column"
    if words[0] in {"detail", "details", "informations", "information", "complement", "motif"}:
        return "details_column"
    if words[0] in {"reference", "ref", "transaction"} or title in {"numero d operation", "id"}:
        return "reference_column"
    return ""


def _columns_from_titles(cells: list[str]) -> dict[str, int]:
    """Map the titles of a candidate title line to layout columns; the first title of a kind wins.

    A second label column (« Libellé opération » after « Libellé simplifié »)
    becomes the label's details, unless a column of details
    (« Informations complémentaires ») exists.
    """
    columns: dict[str, int] = {}
    second_label = 0
    for number, cell in enumerate(cells, start=1):
        kind = _title_kind(normalise_title(cell))
        if kind == "label_column" and "label_column" in columns:
            second_label = second_label or number
        elif kind and kind not in columns:
            columns[kind] = number
    if second_label and "details_column" not in columns:
        columns["details_column"] = second_label
    return columns


def _columns_from_values(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """Guess the columns of a file without titles from its first transaction lines.

    The first line with a date and an amount starts the transactions. The
    first date column is the booking date and a second one the value date.
    One amount column with both signs is the amount; two amount columns that
    are filled in turn are the debit and the credit. The longest text is the
    label.
    """
    start = next((index for index, cells in enumerate(rows) if _has_date_and_amount(cells)), None)
    if start is None:
        return 0, {}

    sample = [cells for cells in rows[start:] if any(cell.strip() for cell in cells)]
    width = max(len(cells) for cells in sample)
    kinds: dict[int, str] = {}
    for number in range(1, width + 1):
        values = [_cell(cells, number) for cells in sample]
        filled = [value for value in values if value]
        if filled and all(_guess_date_format([value], strict=True) for value in filled):
            kinds[number] = "date"
        elif filled and all(_is_amount(value) for value in filled):
            kinds[number] = "amount" if len(filled) == len(values) else "half"
    columns: dict[str, int] = {}
    dates = [number for number, kind in kinds.items() if kind == "date"]
    columns["date_column"] = dates[0]
    if len(dates) > 1:
        columns["value_date_column"] = dates[1]
    full = [number for number, kind in kinds.items() if kind == "amount"]
    halves = [number for number, kind in kinds.items() if kind == "half"]
    if len(halves) == 2:
        first_negative = any(_cell(cells, halves[0]).startswith("-") for cells in sample)
        second_negative = any(_cell(cells, halves[1]).startswith("-") for cells in sample)
        debit, credit = (halves[1], halves[0]) if second_negative and not first_negative else halves
        columns.update(debit_column=debit, credit_column=credit)
    elif full:
        columns["amount_column"] = full[0]
    texts = [number for number in range(1, width + 1) if number not in kinds]
    if texts:
        columns["label_column"] = max(texts, key=lambda number: sum(len(_cell(cells, number)) for cells in sample))
    return start, columns


def _has_date_and_amount(cells: list[str]) -> bool:
    dates = [number for number, cell in enumerate(cells, 1) if _guess_date_format([cell.strip()], strict=True)]
    return any(number not in dates and _is_amount(cell) for number, cell in enumerate(cells, 1)) and bool(dates)


def _is_amount(value: str) -> bool:
    text = value.strip()
    if not text or not re.search(r"\d", text) or not re.search(r"[.,]\d{2}\b|^[+-]?\d+$", text):
        return False
    try:
        parse_amount(text)
    except (InvalidOperation, ValueError):
        return False
    return True


def _guess_date_format(values: list[str], *, strict: bool = False) -> str:
    """Return the first date format that reads every value; "" when ``strict`` and none does."""
    for date_format in DATE_FORMATS:
        try:
            for value in values:
                parse_date(value, date_format, 0)
        except StatementFileError:
            continue
        if values:
            return date_format
    return "" if strict else "%d/%m/%Y"


def _guess_decimal_comma(amounts: list[str]) -> bool:
    for amount in amounts:
        if re.search(r",\d{1,2}-?$", amount):
            return True
        if re.search(r"\.\d{1,2}-?$", amount):
            return False
    return True


def column_choices(data: bytes, layout: CsvLayout) -> list[tuple[int, str]]:
    """Return (number, title) of each column, for the layout form: the file's titles, or sample values."""
    rows = read_rows(data, layout)
    if not rows:
        return []
    width = max(len(cells) for _line, cells in rows[:SAMPLE_ROWS])
    titles = rows[0][1] if layout.has_header else []
    sample = rows[1] if layout.has_header and len(rows) > 1 else rows[0]
    choices = []
    for number in range(1, width + 1):
        title = _cell(titles, number)
        example = _cell(sample[1], number)
        if title:
            text = _("%(number)s. %(title)s") % {"number": number, "title": title}
        elif example:
            text = _("Colonne %(number)s (exemple : %(example)s)") % {"number": number, "example": example[:30]}
        else:
            text = _("Colonne %(number)s (vide)") % {"number": number}
        choices.append((number, text))
    return choices
