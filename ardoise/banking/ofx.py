"""Reader of OFX statements: version 1 (SGML, often Windows-1252) and version 2 (XML, UTF-8).

ofxtools' tree builder reads the markup of both versions, including the
unclosed elements of SGML. The values are then read from the element tree
rather than through ofxtools' typed models, because those models reject
what French banks write: amounts with a decimal comma, names longer than
32 characters, and a CHARSET that does not match the bytes.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import InvalidOperation
from xml.sax.saxutils import unescape

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ofxtools.Parser import ParseError, TreeBuilder

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
from ardoise.core.validators import clean_iban

_BODY_START = re.compile(r"<OFX>", re.IGNORECASE)
_BODY_END = re.compile(r"</OFX>", re.IGNORECASE)
_POSITION = re.compile(r"position=\[(\d+):")
_OFX_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_ofx(data: bytes, filename: str) -> list[ParsedStatement]:
    text = decode_text(data)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise StatementFileError(
            _(
                "Le fichier « %(filename)s » contient une déclaration DOCTYPE ou ENTITY, refusée pour des raisons "
                "de sécurité. Un relevé OFX n'en contient jamais : exportez-le de nouveau depuis votre banque."
            )
            % {"filename": filename}
        )
    start = _BODY_START.search(text)
    if start is None:
        raise StatementFileError(
            _(
                "Le fichier « %(filename)s » a un en-tête OFX mais pas d'élément <OFX> : il est incomplet. "
                "Exportez de nouveau le relevé depuis votre banque."
            )
            % {"filename": filename}
        )
    if not _BODY_END.search(text):
        # SGML lets leaf elements go unclosed, but every file ends with </OFX>: without it the file was cut.
        line = text.rstrip().count("\n") + 1
        raise StatementFileError(
            _(
                "Ligne %(line)s : le fichier « %(filename)s » s'arrête avant la fin du relevé (</OFX> manque) : "
                "il est incomplet. Exportez de nouveau le relevé depuis votre banque."
            )
            % {"line": line, "filename": filename},
            line=line,
        )
    root = _build_tree(text, start.start(), filename)
    lines = _transaction_lines(text)

    statements = []
    counter = iter(lines)
    for response in [*root.iter("STMTRS"), *root.iter("CCSTMTRS")]:
        statements.append(_statement(response, counter))
    if not statements:
        raise StatementFileError(
            _(
                "Le fichier « %(filename)s » ne contient aucun relevé de compte (élément STMTRS) : "
                "exportez de nouveau le relevé depuis votre banque."
            )
            % {"filename": filename}
        )
    return statements


def _build_tree(text: str, body_start: int, filename: str) -> ET.Element:
    builder = TreeBuilder()
    try:
        builder.feed(text[body_start:])
        root = builder.close()
    except (ParseError, IndexError, AssertionError) as error:
        # ofxtools reports the offset in the body; the user needs the line in the file.
        match = _POSITION.search(str(error))
        offset = body_start + int(match.group(1)) if match else len(text)
        line = text.count("\n", 0, offset) + 1
        raise StatementFileError(
            _(
                "Ligne %(line)s : le fichier « %(filename)s » n'est pas un OFX valide (balise mal formée ou fichier "
                "incomplet). Exportez de nouveau le relevé depuis votre banque."
            )
            % {"line": line, "filename": filename},
            line=line,
        ) from error
    if root is None or root.tag != "OFX":
        raise StatementFileError(
            _("Le fichier « %(filename)s » est un OFX incomplet : exportez de nouveau le relevé depuis votre banque.")
            % {"filename": filename}
        )
    return root


def _transaction_lines(text: str) -> list[int]:
    """Return the line of each <STMTTRN> in the file, in order: the tree has no line numbers."""
    return [text.count("\n", 0, match.start()) + 1 for match in re.finditer(r"<STMTTRN>", text, re.IGNORECASE)]


def _statement(response: ET.Element, lines: Iterator[int]) -> ParsedStatement:
    currency = _text(response, "CURDEF").upper() or "EUR"
    account = response.find("BANKACCTFROM")
    if account is None:
        account = response.find("CCACCTFROM")
    iban, number = _account_identifiers(account)
    transactions_list = response.find("BANKTRANLIST")
    statement = ParsedStatement(
        format=StatementFormat.OFX,
        currency=currency,
        iban=iban,
        account_number=number,
        period_start=_date(_text(transactions_list, "DTSTART"), 0),
        period_end=_date(_text(transactions_list, "DTEND"), 0),
    )
    for element in response.iter("STMTTRN"):
        line = next(lines, 0)
        statement.transactions.append(_transaction(element, currency, line))
    return statement


def _account_identifiers(account: ET.Element | None) -> tuple[str, str]:
    """Return (IBAN, account number) of BANKACCTFROM.

    OFX has no IBAN field, but a French account is fully identified by its
    bank code (BANKID), branch code (BRANCHID) and account number (ACCTID).
    Some banks add the two-digit RIB key to ACCTID. The IBAN is rebuilt from
    these codes when their national key checks out.
    """
    if account is None:
        return "", ""
    bank, branch, number = _text(account, "BANKID"), _text(account, "BRANCHID"), _text(account, "ACCTID")
    readable = " ".join(filter(None, [bank, branch, number]))
    if not (len(bank) == 5 and len(branch) == 5 and len(number) in (11, 13)):
        return "", readable
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        iban = str(IBAN.generate("FR", bank_code=bank, branch_code=branch, account_code=number[:11]))
        clean_iban(iban)
    except (SchwiftyException, ValidationError):
        return "", readable
    if len(number) == 13 and not iban.endswith(number[11:]):
        return "", readable
    return iban, readable


def _transaction(element: ET.Element, currency: str, line: int) -> ParsedTransaction:
    raw_amount = _text(element, "TRNAMT")
    try:
        amount = parse_amount(raw_amount, decimal_comma=True)
    except (InvalidOperation, ValueError):
        raise amount_error(raw_amount, line) from None
    amount = check_amount_places(amount, raw_amount, line)

    raw_date = _text(element, "DTPOSTED")
    booking_date = _date(raw_date, line)
    if booking_date is None:
        raise StatementFileError(
            _("Ligne %(line)s : l'opération n'a pas de date (DTPOSTED).") % {"line": line}, line=line
        )
    name = _text(element, "NAME") or _text(element, "PAYEE/NAME")
    memo = _text(element, "MEMO")
    currency_element = element.find("CURRENCY")
    if currency_element is None:
        currency_element = element.find("ORIGCURRENCY")
    return ParsedTransaction(
        line=line,
        booking_date=booking_date,
        value_date=_date(_text(element, "DTAVAIL"), line),
        amount=amount,
        currency=_text(currency_element, "CURSYM").upper() or currency,
        # Banks cut NAME at 32 characters and put the rest, or the remittance text, in MEMO.
        label=name or memo,
        remittance=memo if name else "",
        bank_id=_text(element, "FITID"),
        end_to_end_id=_text(element, "REFNUM"),
    )


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    if found is None or not found.text:
        return ""
    return compact_text(unescape(found.text))


def _date(raw: str, line: int) -> datetime.date | None:
    """Read the calendar date of an OFX datetime, « 20261204 » or « 20261204120000.000[+1:CET] »."""
    if not raw:
        return None
    match = _OFX_DATE.match(raw)
    try:
        if match is None:
            raise ValueError(raw)
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise StatementFileError(
            _("Ligne %(line)s : date « %(value)s » invalide (format OFX attendu AAAAMMJJ).")
            % {"line": line, "value": raw},
            line=line,
        ) from None
