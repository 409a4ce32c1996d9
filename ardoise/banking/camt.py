"""Reader of CAMT.053 bank-to-customer statements (ISO 20022), versions 001.02 to 001.13.

A statement (Stmt) lists entries (Ntry), and an entry is one booking on the
account. A batch entry books several payments at once and details each in a
TxDtls element, with its own amount, debtor and remittance information.
Each detail becomes a transaction of its own, so that each payment can be
matched to its invoice. Elements are found by local name within the document's own
namespace, so every version of the message reads alike.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from ardoise.banking.statements import (
    ParsedStatement,
    ParsedTransaction,
    StatementFileError,
    StatementFormat,
    check_amount_places,
    compact_text,
)
from ardoise.einvoice.xmlsafe import safe_parser

# ISO 20022 amounts: digits, a dot and up to five decimals, never a sign (the direction is CdtDbtInd).
_AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?")
# Entries that are not booked yet: pending, for information, or future-dated.
_NOT_BOOKED = {"PDNG", "INFO", "FUTR"}
# Values that banks write in EndToEndId when the payer gave none.
_NO_REFERENCE = {"", "NOTPROVIDED", "NOT PROVIDED", "NONREF"}


def parse_camt053(data: bytes, filename: str) -> list[ParsedStatement]:
    root = _parse_xml(data, filename)
    namespace = _namespace_of(root)
    reader = _Reader(namespace)
    if etree.QName(root).localname != "Document" or "camt.053" not in namespace:
        raise _not_camt053(root, namespace, filename)

    statements = reader.children(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementFileError(
            _("Le fichier « %(filename)s » ne contient aucun relevé (élément Stmt) : exportez-le de nouveau.")
            % {"filename": filename}
        )
    # Several Stmt of one account (one per day, say) make one statement.
    merged: dict[tuple[str, str], ParsedStatement] = {}
    for element in statements:
        statement = reader.statement(element)
        key = (statement.iban, statement.account_number)
        if key in merged:
            _merge(merged[key], statement)
        else:
            merged[key] = statement
    return list(merged.values())


def _parse_xml(data: bytes, filename: str) -> etree._Element:
    # A DOCTYPE can only serve entity expansion or external entities: no statement needs one.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _doctype_error(filename)
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as error:
        raise StatementFileError(
            _(
                "Ligne %(line)s : le fichier « %(filename)s » n'est pas un XML valide (incomplet ou mal formé). "
                "Exportez de nouveau le relevé depuis votre banque puis réessayez."
            )
            % {"line": error.lineno, "filename": filename},
            line=error.lineno,
        ) from error
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _doctype_error(filename)
    return root


def _doctype_error(filename: str) -> StatementFileError:
    return StatementFileError(
        _(
            "Le fichier « %(filename)s » contient une déclaration DOCTYPE ou ENTITY, refusée pour des raisons de "
            "sécurité. Un relevé CAMT.053 n'en contient jamais : exportez-le de nouveau depuis votre banque."
        )
        % {"filename": filename}
    )


def _namespace_of(root: etree._Element) -> str:
    return etree.QName(root).namespace or ""


def _not_camt053(root: etree._Element, namespace: str, filename: str) -> StatementFileError:
    name = etree.QName(root).localname
    if "camt.052" in namespace or "camt.054" in namespace:
        reason = _(
            "c'est un relevé intrajournalier (camt.052) ou un avis d'opérations (camt.054) ; "
            "demandez à votre banque le relevé de fin de journée CAMT.053"
        )
    elif name in {"CrossIndustryInvoice", "Invoice", "CreditNote"}:
        reason = _("c'est une facture électronique ; importez-la depuis la page Factures")
    else:
        reason = _("son élément racine est « %(name)s » et non un relevé CAMT.053") % {"name": name}
    return StatementFileError(
        _("Le fichier « %(filename)s » n'est pas un relevé bancaire CAMT.053 : %(reason)s.")
        % {"filename": filename, "reason": reason}
    )


def _merge(target: ParsedStatement, other: ParsedStatement) -> None:
    target.transactions.extend(other.transactions)
    starts = [date for date in (target.period_start, other.period_start) if date]
    ends = [date for date in (target.period_end, other.period_end) if date]
    target.period_start = min(starts) if starts else None
    target.period_end = max(ends) if ends else None


class _Reader:
    """Finds CAMT elements by path of local names in one namespace."""

    def __init__(self, namespace: str) -> None:
        self.prefix = "{%s}" % namespace if namespace else ""

    def _path(self, path: str) -> str:
        return "/".join(self.prefix + step for step in path.split("/"))

    def child(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(self._path(path))

    def children(self, element: etree._Element, path: str) -> list[etree._Element]:
        return element.findall(self._path(path))

    def text(self, element: etree._Element | None, *paths: str) -> str:
        """Return the text of the first path that has some, stripped; "" when none has."""
        if element is None:
            return ""
        for path in paths:
            found = element.find(self._path(path))
            if found is not None and (found.text or "").strip():
                return compact_text(found.text or "")
        return ""

    def texts(self, element: etree._Element | None, path: str) -> list[str]:
        if element is None:
            return []
        return [compact_text(found.text or "") for found in element.findall(self._path(path)) if found.text]

    # The statement and its account.

    def statement(self, element: etree._Element) -> ParsedStatement:
        account = self.child(element, "Acct")
        currency = self.text(account, "Ccy") or "EUR"
        statement = ParsedStatement(
            format=StatementFormat.CAMT053,
            currency=currency,
            iban=self.text(account, "Id/IBAN").replace(" ", "").upper(),
            account_number=self.text(account, "Id/Othr/Id"),
            account_name=self.text(account, "Nm"),
            period_start=self._date(self.child(element, "FrToDt/FrDtTm"), "FrDtTm"),
            period_end=self._date(self.child(element, "FrToDt/ToDtTm"), "ToDtTm"),
        )
        for entry in self.children(element, "Ntry"):
            if self._status(entry) in _NOT_BOOKED:
                continue
            statement.transactions.extend(self.entry(entry, currency))
        return statement

    def _status(self, entry: etree._Element) -> str:
        # Sts is a plain code in the older versions of the message and a Cd element inside it in the newer ones.
        return (self.text(entry, "Sts/Cd") or self.text(entry, "Sts")).upper()

    # Entries and their details.

    def entry(self, entry: etree._Element, currency: str) -> list[ParsedTransaction]:
        line = entry.sourceline or 0
        amount, entry_currency = self._amount(self.child(entry, "Amt"), line)
        sign = self._sign(entry, line)
        booking_date = self._required_date(entry, "BookgDt", line)
        value_date = self._date_choice(self.child(entry, "ValDt"), line)
        entry_id = self.text(entry, "AcctSvcrRef") or self.text(entry, "NtryRef")
        label = self.text(entry, "AddtlNtryInf")
        details = self.children(entry, "NtryDtls/TxDtls")

        split = self._split_amounts(details, sign, amount, line) if len(details) > 1 else None
        if split is None:
            # One booking, one transaction: the details (if any) describe it as a whole.
            transaction = ParsedTransaction(
                line=line,
                booking_date=booking_date,
                value_date=value_date,
                amount=sign * amount,
                currency=entry_currency or currency,
                label=label or " ".join(self.text(detail, "AddtlTxInf") for detail in details).strip(),
                bank_id=entry_id,
            )
            for detail in details:
                self._describe(transaction, detail, sign)
            transaction.remittance = compact_text(transaction.remittance)
            return [transaction]

        transactions = []
        for index, (detail, detail_amount) in enumerate(zip(details, split, strict=True), start=1):
            detail_id = self.text(detail, "Refs/AcctSvcrRef")
            transaction = ParsedTransaction(
                line=detail.sourceline or line,
                booking_date=booking_date,
                value_date=value_date,
                amount=detail_amount,
                currency=entry_currency or currency,
                label=self.text(detail, "AddtlTxInf") or label,
                # Details share the entry's reference, so their position distinguishes them.
                bank_id=detail_id or ("%s/%s" % (entry_id, index) if entry_id else ""),
            )
            self._describe(transaction, detail, 1 if detail_amount > 0 else -1)
            transaction.remittance = compact_text(transaction.remittance)
            transactions.append(transaction)
        return transactions

    def _split_amounts(
        self, details: list[etree._Element], sign: int, total: Decimal, line: int
    ) -> list[Decimal] | None:
        """Return the signed amount of each detail of a batch, or None when they do not add up to the entry.

        Without an amount on every detail the batch cannot be split, so it is
        kept as one transaction that the user matches by hand.
        """
        amounts = []
        for detail in details:
            element = self.child(detail, "Amt")
            if element is None:
                element = self.child(detail, "AmtDtls/TxAmt/Amt")
            if element is None:
                return None
            detail_line = detail.sourceline or line
            amount, _currency = self._amount(element, detail_line)
            indicator = self.text(detail, "CdtDbtInd")
            detail_sign = self._sign(detail, detail_line) if indicator else sign
            amounts.append(detail_sign * amount)
        if sum(amounts) != sign * total:
            return None
        return amounts

    def _describe(self, transaction: ParsedTransaction, detail: etree._Element, sign: int) -> None:
        """Fill the counterparty, references and remittance information of a transaction from a TxDtls."""
        # On a credit the counterparty is the debtor (the payer); on a debit, the creditor.
        party, account = ("Dbtr", "DbtrAcct") if sign > 0 else ("Cdtr", "CdtrAcct")
        parties = self.child(detail, "RltdPties")
        if not transaction.counterparty_name:
            # The older versions of the message give the name as Dbtr/Nm, the newer ones as Dbtr/Pty/Nm.
            transaction.counterparty_name = self.text(
                parties, "%s/Nm" % party, "%s/Pty/Nm" % party, "Ultmt%s/Nm" % party, "Ultmt%s/Pty/Nm" % party
            )
        if not transaction.counterparty_iban:
            transaction.counterparty_iban = self.text(parties, "%s/Id/IBAN" % account).replace(" ", "").upper()
        end_to_end = self.text(detail, "Refs/EndToEndId")
        if end_to_end.upper() not in _NO_REFERENCE and not transaction.end_to_end_id:
            transaction.end_to_end_id = end_to_end

        remittance = self.child(detail, "RmtInf")
        parts = [*self.texts(remittance, "Ustrd")]
        parts += self.texts(remittance, "Strd/CdtrRefInf/Ref")
        parts += self.texts(remittance, "Strd/RfrdDocInf/Nb")
        parts += self.texts(remittance, "Strd/AddtlRmtInf")
        transaction.remittance = " ".join(filter(None, [transaction.remittance, *parts]))

    # Values.

    def _amount(self, element: etree._Element | None, line: int) -> tuple[Decimal, str]:
        raw = (element.text or "").strip() if element is not None else ""
        if element is None or not _AMOUNT.fullmatch(raw):
            raise StatementFileError(
                _(
                    "Ligne %(line)s : montant « %(value)s » illisible. Un montant CAMT.053 s'écrit avec un point "
                    "décimal, sans signe, par exemple 1234.56 : exportez de nouveau le relevé."
                )
                % {"line": line, "value": raw},
                line=line,
            )
        return check_amount_places(Decimal(raw), raw, line), (element.get("Ccy") or "").upper()

    def _sign(self, element: etree._Element, line: int) -> int:
        indicator = self.text(element, "CdtDbtInd").upper()
        if indicator == "CRDT":
            return 1
        if indicator == "DBIT":
            return -1
        raise StatementFileError(
            _("Ligne %(line)s : sens de l'opération « %(value)s » inconnu : CRDT (crédit) ou DBIT (débit) attendu.")
            % {"line": line, "value": indicator},
            line=line,
        )

    def _required_date(self, entry: etree._Element, name: str, line: int) -> datetime.date:
        date = self._date_choice(self.child(entry, name), line)
        if date is None:
            raise StatementFileError(
                _("Ligne %(line)s : l'opération n'a pas de date de comptabilisation (%(name)s).")
                % {"line": line, "name": name},
                line=line,
            )
        return date

    def _date_choice(self, element: etree._Element | None, line: int) -> datetime.date | None:
        """Read a date that is given either as Dt (a date) or as DtTm (a date and time)."""
        if element is None:
            return None
        return self._date(self.child(element, "Dt"), "Dt") or self._date(self.child(element, "DtTm"), "DtTm")

    def _date(self, element: etree._Element | None, name: str) -> datetime.date | None:
        if element is None or not (element.text or "").strip():
            return None
        raw = (element.text or "").strip()
        line = element.sourceline or 0
        try:
            if name == "Dt":
                return datetime.date.fromisoformat(raw)
            moment = datetime.datetime.fromisoformat(raw)
        except ValueError:
            raise StatementFileError(
                _("Ligne %(line)s : date « %(value)s » invalide (format attendu AAAA-MM-JJ).")
                % {"line": line, "value": raw},
                line=line,
            ) from None
        # A time with an offset is a moment: its calendar date is the one in the business's time zone.
        if timezone.is_aware(moment):
            return timezone.localtime(moment).date()
        return moment.date()
