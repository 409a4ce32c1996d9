"""The FEC (Fichier des écritures comptables, article A47 A-1 LPF): writing one, and checking one.

The file has a header line and one line per entry line, with the 18 standard
columns in their legal order, separated by tabs (or pipes), dates as
YYYYMMDD and amounts with a decimal comma and no thousands separator. It is
named ``<SIREN>FEC<closing date>.txt``.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ardoise.accounting.entries import Entry

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
ENCODINGS = ("iso-8859-15", "utf-8")
FILENAME = re.compile(r"^(\d{9})FEC(\d{8})\.txt\Z")
ZERO = Decimal("0.00")
# Characters that would split a field or a line, replaced by a space in text fields.
_BREAKING = re.compile(r"[\t|\r\n\u2028\u2029\x0b\x0c]+")


def clean_text(value: str) -> str:
    """Replace separators and line breaks in a text field by spaces, and trim it."""
    return " ".join(_BREAKING.sub(" ", value).split())


def format_amount(value: Decimal) -> str:
    """Write an amount as the FEC wants it: two decimals, a decimal comma, no thousands separator."""
    return ("%.2f" % value).replace(".", ",")


def format_date(value: datetime.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def filename(siren: str, closing: datetime.date) -> str:
    return "%sFEC%s.txt" % (siren, format_date(closing))


def rows(entries: Iterable[Entry]) -> Iterable[list[str]]:
    """Yield the 18 fields of each line of each entry, text fields cleaned."""
    for entry in entries:
        for line in entry.lines:
            yield [
                clean_text(entry.journal),
                clean_text(entry.journal_label),
                entry.number,
                format_date(entry.date),
                clean_text(line.account),
                clean_text(line.account_label),
                clean_text(line.auxiliary),
                clean_text(line.auxiliary_label),
                clean_text(entry.piece_ref),
                format_date(entry.date),
                clean_text(entry.label),
                format_amount(line.debit),
                format_amount(line.credit),
                line.letter,
                format_date(line.letter_date),
                format_date(entry.validated_on),
                format_amount(abs(line.currency_amount)) if line.currency_amount is not None else "",
                line.currency,
            ]


def write(entries: Iterable[Entry], *, encoding: str = "iso-8859-15", separator: str = "\t") -> bytes:
    """Return the FEC file of ``entries``, one line per entry line, CRLF line ends.

    In ISO 8859-15, a character the encoding lacks (a typographic apostrophe,
    say) becomes its closest plain letter, or ``?`` when it has none.
    """
    lines = [separator.join(COLUMNS)]
    lines.extend(separator.join(fields) for fields in rows(entries))
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8":
        return text.encode("utf-8")
    return "".join(_encodable(character, encoding) for character in text).encode(encoding)


_TYPOGRAPHIC = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
}


def _encodable(character: str, encoding: str) -> str:
    try:
        character.encode(encoding)
    except UnicodeEncodeError:
        pass
    else:
        return character
    if character in _TYPOGRAPHIC:
        return _TYPOGRAPHIC[character]
    if unicodedata.category(character) == "Zs":
        return " "
    plain = unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode()
    return plain or "?"


# Checking a FEC file


@dataclass
class CheckReport:
    """The result of ``check``: the problems found, in French, and the file's figures."""

    problems: list[str] = field(default_factory=list)
    entries: int = 0
    lines: int = 0
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def ok(self) -> bool:
        return not self.problems


# Reporting stops after this many problems: a file with a wrong separator would
# otherwise give one problem per line.
MAX_PROBLEMS = 200
_AMOUNT = re.compile(r"^-?\d+(,\d{1,2})?\Z")
_REQUIRED = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "ValidDate",
)
_PAIRS = (("CompAuxNum", "CompAuxLib"), ("EcritureLet", "DateLet"), ("Montantdevise", "Idevise"))


def check(data: bytes, name: str = "") -> CheckReport:
    """Check a FEC file's structure and balance, and return each problem with its line number.

    It checks the file name, the encoding and the header (the 18 columns, in
    order). On each line it checks the field count, the required fields,
    dates as YYYYMMDD, amounts with a decimal comma and paired fields filled
    together. Each entry must have one date, and debit must equal credit in
    each entry and in the whole file.
    """
    report = CheckReport()
    problems = report.problems
    closing = _check_name(name, problems)
    text = _decode(data, problems)
    if text is None:
        return report
    lines = text.splitlines()
    if not lines:
        problems.append(_("Le fichier est vide : il doit commencer par la ligne d'en-tête des 18 colonnes."))
        return report
    separator = "\t" if "\t" in lines[0] else "|"
    header = lines[0].lstrip("\ufeff").split(separator)
    if tuple(header) != COLUMNS:
        problems.append(_header_problem(header))
        return report

    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    dates: dict[tuple[str, str], set[str]] = defaultdict(set)
    for number, raw in enumerate(lines[1:], start=2):
        if len(problems) >= MAX_PROBLEMS:
            problems.append(_("Vérification arrêtée après %(count)d problèmes.") % {"count": MAX_PROBLEMS})
            return report
        if not raw.strip():
            continue
        fields = raw.split(separator)
        if len(fields) != len(COLUMNS):
            problems.append(
                _(
                    "Ligne %(line)d : %(count)d champs au lieu de 18. "
                    "Vérifiez qu'aucun libellé ne contient le séparateur."
                )
                % {"line": number, "count": len(fields)}
            )
            continue
        values = dict(zip(COLUMNS, fields, strict=True))
        report.lines += 1
        amounts = _check_line(number, values, closing, problems)
        if amounts is None:
            continue
        key = (values["JournalCode"], values["EcritureNum"])
        totals[key][0] += amounts[0]
        totals[key][1] += amounts[1]
        dates[key].add(values["EcritureDate"])
        report.debit += amounts[0]
        report.credit += amounts[1]

    report.entries = len(totals)
    for (journal, entry), (debit, credit) in totals.items():
        if debit != credit:
            problems.append(
                _("Écriture %(entry)s du journal %(journal)s déséquilibrée : débit %(debit)s, crédit %(credit)s.")
                % {"entry": entry, "journal": journal, "debit": format_amount(debit), "credit": format_amount(credit)}
            )
        if len(dates[(journal, entry)]) > 1:
            problems.append(
                _(
                    "Écriture %(entry)s du journal %(journal)s : ses lignes ont plusieurs dates (%(dates)s), "
                    "une seule est permise."
                )
                % {"entry": entry, "journal": journal, "dates": ", ".join(sorted(dates[(journal, entry)]))}
            )
    if report.debit != report.credit:
        problems.append(
            _("Le fichier est déséquilibré : total des débits %(debit)s, total des crédits %(credit)s.")
            % {"debit": format_amount(report.debit), "credit": format_amount(report.credit)}
        )
    return report


def _check_name(name: str, problems: list[str]) -> datetime.date | None:
    if not name:
        return None
    match = FILENAME.match(name)
    if not match:
        problems.append(
            _(
                "Nom de fichier « %(name)s » non conforme : il doit être SIRENFECAAAAMMJJ.txt, "
                "par exemple 123456789FEC20261231.txt."
            )
            % {"name": name}
        )
        return None
    closing = _parse_date(match.group(2))
    if closing is None:
        problems.append(
            _("Nom de fichier « %(name)s » : la date de clôture %(date)s n'existe pas.")
            % {"name": name, "date": match.group(2)}
        )
    return closing


def _decode(data: bytes, problems: list[str]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("iso-8859-15")
    except UnicodeDecodeError:  # pragma: no cover - every byte is a character in ISO 8859-15
        problems.append(_("Le fichier n'est ni en UTF-8 ni en ISO 8859-15."))
        return None


def _header_problem(header: Sequence[str]) -> str:
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        return _(
            "En-tête incorrect : colonnes manquantes %(columns)s. "
            "La première ligne doit nommer les 18 colonnes dans l'ordre légal."
        ) % {"columns": ", ".join(missing)}
    return _("En-tête incorrect : les colonnes ne sont pas dans l'ordre légal (%(columns)s).") % {
        "columns": ", ".join(COLUMNS)
    }


def _check_line(
    number: int, values: dict[str, str], closing: datetime.date | None, problems: list[str]
) -> tuple[Decimal, Decimal] | None:
    for column in _REQUIRED:
        if not values[column].strip():
            problems.append(_("Ligne %(line)d : %(column)s est vide.") % {"line": number, "column": column})
    for column in ("EcritureDate", "PieceDate", "ValidDate", "DateLet"):
        value = values[column]
        if value and _parse_date(value) is None:
            problems.append(
                _("Ligne %(line)d : %(column)s « %(value)s » n'est pas une date AAAAMMJJ.")
                % {"line": number, "column": column, "value": value}
            )
    entry_date = _parse_date(values["EcritureDate"])
    if closing and entry_date and entry_date > closing:
        problems.append(
            _("Ligne %(line)d : écriture du %(date)s, après la clôture de l'exercice le %(closing)s.")
            % {"line": number, "date": values["EcritureDate"], "closing": format_date(closing)}
        )
    for first, second in _PAIRS:
        if bool(values[first].strip()) != bool(values[second].strip()):
            problems.append(
                _("Ligne %(line)d : %(first)s et %(second)s vont ensemble, l'un est rempli et l'autre vide.")
                % {"line": number, "first": first, "second": second}
            )
    amounts = []
    for column in ("Debit", "Credit"):
        value = values[column].strip()
        if not _AMOUNT.match(value):
            problems.append(
                _(
                    "Ligne %(line)d : %(column)s « %(value)s » n'est pas un montant ; écrivez-le avec une virgule "
                    "décimale, sans séparateur de milliers, par exemple 1200,00."
                )
                % {"line": number, "column": column, "value": value}
            )
            continue
        try:
            amounts.append(Decimal(value.replace(",", ".")))
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            continue
    if values["Montantdevise"].strip() and not _AMOUNT.match(values["Montantdevise"].strip()):
        problems.append(
            _("Ligne %(line)d : Montantdevise « %(value)s » n'est pas un montant.")
            % {"line": number, "value": values["Montantdevise"]}
        )
    if len(amounts) != 2:
        return None
    if amounts[0] and amounts[1]:
        problems.append(_("Ligne %(line)d : une ligne porte un débit ou un crédit, pas les deux.") % {"line": number})
    return amounts[0], amounts[1]


def _parse_date(value: str) -> datetime.date | None:
    if not re.fullmatch(r"\d{8}", value):
        return None
    try:
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None
