"""The typed content of an invoice file that Ardoise has read."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from ardoise.core.document import Address, DocumentLine, Note, Party, VatExemption
from ardoise.core.money import ZERO, Adjustment, VatBreakdown

# Factur-X profiles whose XML carries no invoice lines.
PROFILES_WITHOUT_LINES = frozenset({"minimum", "basicwl"})
PROFILE_NAMES = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
}


@dataclass(frozen=True)
class ParsedLine:
    """An invoice line read from a file, with its identifier and note."""

    line_id: str  # BT-126
    line: DocumentLine
    note: str = ""  # BT-127


@dataclass(frozen=True)
class ParsedTotals:
    """The totals written in the file (BG-22 and BG-23), absent terms as ``None``."""

    line_total: Decimal | None  # BT-106
    allowance_total: Decimal | None  # BT-107
    charge_total: Decimal | None  # BT-108
    tax_exclusive: Decimal | None  # BT-109
    tax_total: Decimal | None  # BT-110
    tax_inclusive: Decimal | None  # BT-112
    prepaid: Decimal | None  # BT-113
    rounding: Decimal | None  # BT-114
    due: Decimal | None  # BT-115
    breakdown: tuple[VatBreakdown, ...] = ()

    def as_bt_dict(self) -> dict[str, Decimal]:
        """Return the totals present in the file, keyed like ``Totals.as_bt_dict``.

        An absent sum of allowances, of charges, paid amount or rounding
        amount means zero in EN 16931, so it is returned as zero.
        """
        terms = {
            "BT-106": self.line_total,
            "BT-107": ZERO if self.allowance_total is None else self.allowance_total,
            "BT-108": ZERO if self.charge_total is None else self.charge_total,
            "BT-109": self.tax_exclusive,
            "BT-110": self.tax_total,
            "BT-112": self.tax_inclusive,
            "BT-113": ZERO if self.prepaid is None else self.prepaid,
            "BT-114": ZERO if self.rounding is None else self.rounding,
            "BT-115": self.due,
        }
        return {term: value for term, value in terms.items() if value is not None}


@dataclass(frozen=True)
class ParsedInvoice:
    """An invoice read from a CII XML or Factur-X PDF file."""

    filename: str
    source: str  # "xml" or "pdf"
    profile: str  # minimum, basicwl, basic, en16931 or extended
    number: str  # BT-1
    type_code: str  # BT-3
    issue_date: datetime.date  # BT-2
    currency: str  # BT-5
    seller: Party
    buyer: Party
    totals: ParsedTotals
    lines: tuple[ParsedLine, ...] = ()
    allowances: tuple[Adjustment, ...] = ()  # BG-20
    charges: tuple[Adjustment, ...] = ()  # BG-21
    notes: tuple[Note, ...] = ()
    vat_exemptions: tuple[VatExemption, ...] = ()
    business_process: str = ""  # BT-23
    tax_currency: str = ""  # BT-6
    vat_total_in_tax_currency: Decimal | None = None  # BT-111
    due_date: datetime.date | None = None  # BT-9
    delivery_date: datetime.date | None = None  # BT-72
    delivery_address: Address | None = None
    period_start: datetime.date | None = None  # BT-73
    period_end: datetime.date | None = None  # BT-74
    buyer_reference: str = ""  # BT-10
    purchase_order: str = ""  # BT-13
    contract_reference: str = ""  # BT-12
    preceding_invoice: str = ""  # BT-25
    preceding_invoice_date: datetime.date | None = None  # BT-26
    seller_legal_info: str = ""  # BT-33
    payment_terms: str = ""  # BT-20
    payment_means_code: str = ""  # BT-81
    iban: str = ""  # BT-84
    bic: str = ""  # BT-86
    payment_reference: str = ""  # BT-83
    prepaid: Decimal = ZERO  # BT-113
    rounding: Decimal = ZERO  # BT-114
    warnings: tuple[str, ...] = field(default=())  # French, for the user

    @property
    def has_lines(self) -> bool:
        return bool(self.lines)

    @property
    def profile_name(self) -> str:
        return PROFILE_NAMES.get(self.profile, self.profile)
