"""Automatic matching of bank credits to open invoices.

A credit is matched in this order:

1. By reference: the number of one or more open invoices appears in the
   label or remittance text, even written with spaces or without dashes. A
   number without the leading zeros of its counter (« F 2026 12 » for
   F-2026-0012) counts only when no other invoice could be meant. When the
   amount equals the balance of the invoice, or the sum of the balances of
   the invoices named, the match is certain and recorded. Otherwise it is
   proposed.
2. By customer and amount: the payer's IBAN is known from an earlier match
   of that customer, or the payer's name is the customer's. One open invoice
   of that customer whose balance equals the amount is recorded when the IBAN
   is known (certain), and proposed when only the name matched (likely).

Anything else stays to be matched by hand. Debits are never matched here.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ardoise.banking.models import BankTransaction, CounterpartyAlias, MatchConfidence, MatchReason
from ardoise.customers.models import Customer
from ardoise.invoicing import queries
from ardoise.invoicing.models import DocumentType, Invoice

ZERO = Decimal("0.00")

# Separators people type, or leave out, inside an invoice number.
_SEPARATORS = r"[\s\-._/]*"
_SEPARATOR_CHARACTERS = re.compile(r"[\s\-._/]+")
# Legal forms and titles that a bank may add to or drop from a payer's name.
_NAME_NOISE = {
    "SAS", "SASU", "SARL", "EURL", "SA", "SCI", "SNC", "SCOP", "SCP", "SELARL", "SELAS", "EI", "EIRL", "GIE",
    "STE", "SOCIETE", "ETS", "ETABLISSEMENTS", "M", "MR", "MME", "MLLE", "MONSIEUR", "MADAME", "ET", "CIE",
}  # fmt: skip
# A customer name shorter than this is too common to be looked for inside a label.
_MIN_NAME_IN_LABEL = 6


def plain_upper(text: str) -> str:
    """Upper-case ``text`` without accents: « Société » becomes « SOCIETE »."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if not unicodedata.combining(character)).upper()


def normalise_reference(text: str) -> str:
    """Upper-case ``text`` and drop spaces, dashes, dots, slashes and underscores: « f-2026 0001 » → « F20260001 »."""
    return _SEPARATOR_CHARACTERS.sub("", plain_upper(text))


def normalise_name(name: str) -> str:
    """Reduce a name to its distinctive words: « Boulangerie Martin S.A.S. » becomes « BOULANGERIE MARTIN »."""
    words = re.sub(r"[^A-Z0-9]+", " ", plain_upper(name).replace(".", "")).split()
    return " ".join(word for word in words if word not in _NAME_NOISE)


def short_number(number: str) -> str:
    """Return the number without the leading zeros of its last counter, or "" when it has none to drop."""
    shortened = re.sub(r"(?<!\d)0+(\d+)$", r"\1", number)
    return shortened if shortened != number else ""


def reference_pattern(number: str) -> re.Pattern[str]:
    """Match ``number`` in upper-cased text, with any separators between its characters.

    The match must not continue a word or a number: « F-2026-1 » is not found
    in « F-2026-12 », nor « 2026-0001 » in « 12026-0001 ».
    """
    key = normalise_reference(number)
    body = _SEPARATORS.join(re.escape(character) for character in key)
    before = r"(?<![0-9])" if key[0].isdigit() else r"(?<![A-Z])"
    after = r"(?![0-9])" if key[-1].isdigit() else r"(?![A-Z])"
    return re.compile(before + body + after)


@dataclass
class OpenInvoice:
    """An issued invoice with a balance left, as the matcher keeps it during one import."""

    invoice: Invoice
    customer_id: int
    currency: str
    issue_date: datetime.date
    due_date: datetime.date | None
    balance: Decimal
    key: str
    pattern: re.Pattern[str]
    short_key: str = ""
    short_pattern: re.Pattern[str] | None = None

    @property
    def sort_key(self) -> tuple[datetime.date, int]:
        return (self.due_date or self.issue_date, self.invoice.pk)


@dataclass
class Decision:
    """The matcher's verdict on one transaction: a confidence, the customer and the invoices."""

    confidence: str = ""
    reason: str = ""
    customer_id: int | None = None
    invoices: list[OpenInvoice] = field(default_factory=list)

    def allocations(self, amount: Decimal) -> list[tuple[Invoice, Decimal]]:
        """Spread ``amount`` over the invoices, oldest due first, each up to its balance."""
        return allocate(amount, [(item.invoice, item.balance) for item in sorted(self.invoices, key=_by_due)])


def _by_due(item: OpenInvoice) -> tuple[datetime.date, int]:
    return item.sort_key


def allocate(amount: Decimal, invoices: list[tuple[Invoice, Decimal]]) -> list[tuple[Invoice, Decimal]]:
    """Spread ``amount`` over (invoice, balance) pairs in the given order; what is left becomes customer credit."""
    allocations = []
    left = amount
    for invoice, balance in invoices:
        part = min(left, balance)
        if part <= ZERO:
            continue
        allocations.append((invoice, part))
        left -= part
    return allocations


class Matcher:
    """Matches the credits of one import against the organisation's open invoices.

    The open invoices, customers and known payers are loaded once. Balances
    are kept up to date as matches are recorded, so that two transfers in one
    statement cannot both settle the same invoice.
    """

    def __init__(self, organisation: Any) -> None:
        self.open_invoices = self._load_open_invoices(organisation)
        all_numbers = Invoice.objects.filter(organisation=organisation).issued().values_list("number", flat=True)
        self.full_keys = {normalise_reference(number) for number in all_numbers}
        self._index_short_numbers()

        self.customers_by_name: dict[str, set[int]] = {}
        for customer_id, name in Customer.objects.filter(organisation=organisation).values_list("id", "name"):
            self.customers_by_name.setdefault(normalise_name(name), set()).add(customer_id)
        self.customer_by_iban: dict[str, int] = {}
        for alias in CounterpartyAlias.objects.filter(organisation=organisation):
            if alias.iban:
                self.customer_by_iban[alias.iban] = alias.customer_id
            if alias.name:
                self.customers_by_name.setdefault(alias.name, set()).add(alias.customer_id)

    @staticmethod
    def _load_open_invoices(organisation: Any) -> list[OpenInvoice]:
        invoices: Any = queries.with_balance(
            Invoice.objects.filter(organisation=organisation).issued().exclude(type_code=DocumentType.CREDIT_NOTE)
        )
        found = []
        for invoice in invoices.filter(balance_amount__gt=ZERO).select_related("customer"):
            short = short_number(invoice.number)
            found.append(
                OpenInvoice(
                    invoice=invoice,
                    customer_id=invoice.customer_id,
                    currency=invoice.currency,
                    issue_date=invoice.issue_date,
                    due_date=invoice.due_date,
                    balance=invoice.balance(),
                    key=normalise_reference(invoice.number),
                    pattern=reference_pattern(invoice.number),
                    short_key=normalise_reference(short) if short else "",
                    short_pattern=reference_pattern(short) if short else None,
                )
            )
        return found

    def _index_short_numbers(self) -> None:
        """Keep a shortened number only when it cannot be read as another invoice's number."""
        counts: dict[str, int] = {}
        for item in self.open_invoices:
            if item.short_key:
                counts[item.short_key] = counts.get(item.short_key, 0) + 1
        for item in self.open_invoices:
            if item.short_key and (counts[item.short_key] > 1 or item.short_key in self.full_keys):
                item.short_key, item.short_pattern = "", None

    # Deciding.

    def decide(self, transaction: BankTransaction) -> Decision:
        if transaction.amount <= ZERO:
            return Decision()
        candidates = [
            item
            for item in self.open_invoices
            if item.balance > ZERO
            and item.currency == transaction.currency
            and item.issue_date <= transaction.booking_date
        ]

        referenced = self.referenced_invoices(transaction.matching_text(), candidates)
        if referenced:
            return self._by_reference(transaction.amount, referenced)

        customer_id, via = self.identify_customer(transaction)
        if customer_id is None:
            return Decision()
        return self._by_customer(transaction.amount, customer_id, via, candidates)

    def referenced_invoices(self, text: str, candidates: list[OpenInvoice]) -> list[OpenInvoice]:
        compact = normalise_reference(text)
        upper = plain_upper(text)
        found = [item for item in candidates if item.key in compact and item.pattern.search(upper)]
        found += [
            item
            for item in candidates
            if item not in found
            and item.short_pattern is not None
            and item.short_key in compact
            and item.short_pattern.search(upper)
        ]
        return sorted(found, key=_by_due)

    def _by_reference(self, amount: Decimal, referenced: list[OpenInvoice]) -> Decision:
        customers = {item.customer_id for item in referenced}
        if len(customers) > 1:
            # One transfer cannot settle invoices of different customers in one receipt.
            return Decision()
        customer_id = customers.pop()
        if sum(item.balance for item in referenced) == amount:
            return Decision(MatchConfidence.SURE, MatchReason.REFERENCE, customer_id, referenced)
        return Decision(MatchConfidence.LIKELY, MatchReason.REFERENCE_AMOUNT, customer_id, referenced)

    def identify_customer(self, transaction: BankTransaction) -> tuple[int | None, str]:
        """Return (customer id, "iban" or "name") of the payer when exactly one customer fits."""
        iban = transaction.counterparty_iban
        if iban and iban in self.customer_by_iban:
            return self.customer_by_iban[iban], MatchReason.IBAN

        if transaction.counterparty_name:
            matches = self.customers_by_name.get(normalise_name(transaction.counterparty_name), set())
            return (next(iter(matches)), MatchReason.NAME) if len(matches) == 1 else (None, "")

        # Without a payer's name (most CSV exports), look for a customer's name inside the label.
        text = " %s " % normalise_name(transaction.matching_text())
        found = {
            customer_id
            for name, ids in self.customers_by_name.items()
            if len(name) >= _MIN_NAME_IN_LABEL and " %s " % name in text
            for customer_id in ids
        }
        return (found.pop(), MatchReason.NAME) if len(found) == 1 else (None, "")

    def _by_customer(self, amount: Decimal, customer_id: int, via: str, candidates: list[OpenInvoice]) -> Decision:
        theirs = sorted((item for item in candidates if item.customer_id == customer_id), key=_by_due)
        exact = [item for item in theirs if item.balance == amount]
        if len(exact) == 1:
            confidence = MatchConfidence.SURE if via == MatchReason.IBAN else MatchConfidence.LIKELY
            return Decision(confidence, via, customer_id, exact)
        if exact:
            # Several invoices of that amount: propose the oldest, the user checks.
            return Decision(MatchConfidence.LIKELY, via, customer_id, exact[:1])
        if len(theirs) > 1 and sum(item.balance for item in theirs) == amount:
            return Decision(MatchConfidence.LIKELY, via, customer_id, theirs)
        # No invoice fits, but the customer is a useful hint for matching by hand.
        return Decision(customer_id=customer_id)

    def settle(self, allocations: list[tuple[Invoice, Decimal]]) -> None:
        """Lower the balances kept in memory by what a recorded receipt allocated."""
        paid = {invoice.pk: amount for invoice, amount in allocations}
        for item in self.open_invoices:
            if item.invoice.pk in paid:
                item.balance -= paid[item.invoice.pk]
