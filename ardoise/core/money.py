"""Money arithmetic and EN 16931 invoice totals.

Every amount in Ardoise goes through this module. It has no database access,
so that the rounding rules can be tested exhaustively. Amounts are ``Decimal``
built from strings or integers, never from floats.

Rounding follows EN 16931. Each line net amount (BR-LIN-04), each allowance or
charge amount and each VAT category amount is rounded half up to the
currency's minor unit. The VAT of a category is computed once on the category
base, never summed from per-line VAT (BR-CO-17).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from iso4217 import Currency

ZERO = Decimal("0")
HUNDRED = Decimal("100")

# EN 16931 allows at most 2 decimals in every amount (rules BR-DEC-01 to
# BR-DEC-28), so the amounts of a currency with 3 (KWD, TND...) are rounded to 2.
MAX_AMOUNT_DECIMALS = 2


def is_currency_code(code: str) -> bool:
    """Tell whether ``code`` is an ISO 4217 currency code with a minor unit (not gold or XXX)."""
    try:
        currency = Currency(code.upper())
    except ValueError:
        return False
    return currency.exponent is not None


# Cached: a report formats thousands of amounts in one currency, and the ISO 4217 lookup
# was a fifth of the time of each format_amount().
@functools.lru_cache(maxsize=64)
def currency_decimals(currency: str) -> int:
    """Return the decimal places of the amounts of an ISO 4217 currency (2 for an unknown code).

    That is the currency's minor unit (0 for JPY), capped at the 2 decimals
    that EN 16931 allows.
    """
    try:
        exponent = Currency(currency.upper()).exponent
    except ValueError:
        return 2
    return 2 if exponent is None else min(exponent, MAX_AMOUNT_DECIMALS)


# The exponents quantize() rounds to, built once: a report rounds thousands of amounts.
_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in range(7)}


def quantize(value: Decimal, places: int = 2) -> Decimal:
    """Round half up to ``places`` decimals, the rounding EN 16931 uses."""
    if not isinstance(value, Decimal):
        raise TypeError("quantize() needs a Decimal, got %r" % type(value).__name__)
    exponent = _EXPONENTS.get(places)
    if exponent is None:
        exponent = Decimal(1).scaleb(-places)
    # Adding zero turns -0.00 into 0.00: EN 16931 wants the VAT of a 0 % group to be 0 (BR-E-09, BR-Z-09...).
    return value.quantize(exponent, rounding=ROUND_HALF_UP) + ZERO


def percent_of(base: Decimal, percent: Decimal, places: int = 2) -> Decimal:
    """Return ``percent`` % of ``base``, rounded to the currency's places."""
    return quantize(base * percent / HUNDRED, places)


@dataclass(frozen=True)
class VatKey:
    """A VAT breakdown group: one category code and one rate (BT-118, BT-119)."""

    category: str
    rate: Decimal

    def __post_init__(self) -> None:
        # 20 and 20.00 must fall in the same group.
        object.__setattr__(self, "rate", self.rate.normalize() + ZERO)


@dataclass(frozen=True)
class Adjustment:
    """An allowance or a charge, on a line or on the whole document.

    Either ``amount`` is given, or ``percent`` with an optional ``base``. A
    document-level adjustment without a base takes the net total of the lines
    in its VAT group.
    """

    is_charge: bool = False
    amount: Decimal | None = None
    percent: Decimal | None = None
    base: Decimal | None = None
    reason: str = ""
    reason_code: str = ""
    vat: VatKey | None = None  # only for document-level adjustments

    def resolve(self, default_base: Decimal, places: int) -> Decimal:
        """Return the adjustment's amount, computing it from the percentage if needed."""
        if self.amount is not None:
            return quantize(self.amount, places)
        if self.percent is None:
            raise ValueError("An allowance or charge needs an amount or a percentage.")
        base = default_base if self.base is None else self.base
        return percent_of(base, self.percent, places)

    @property
    def signed_factor(self) -> int:
        return 1 if self.is_charge else -1


@dataclass(frozen=True)
class Line:
    """An invoice line reduced to what EN 16931 computes with (BG-25)."""

    quantity: Decimal
    net_price: Decimal  # BT-146, per base quantity, after price discount
    vat: VatKey
    base_quantity: Decimal = Decimal("1")  # BT-149
    adjustments: Sequence[Adjustment] = ()

    def gross_amount(self) -> Decimal:
        return self.quantity * self.net_price / self.base_quantity

    def net_amount(self, places: int = 2) -> Decimal:
        """Return the line net amount BT-131 (BR-LIN-04)."""
        gross = quantize(self.gross_amount(), places)
        adjusted = sum((a.signed_factor * a.resolve(gross, places) for a in self.adjustments), ZERO)
        return quantize(gross + adjusted, places)


@dataclass(frozen=True)
class VatBreakdown:
    """One VAT breakdown row (BG-23)."""

    key: VatKey
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117


@dataclass(frozen=True)
class Totals:
    """Document totals (BG-22) with their EN 16931 business terms."""

    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    charge_total: Decimal  # BT-108
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    rounding: Decimal  # BT-114
    due: Decimal  # BT-115
    breakdown: tuple[VatBreakdown, ...] = field(default=())
    line_amounts: tuple[Decimal, ...] = field(default=())
    allowance_amounts: tuple[Decimal, ...] = field(default=())
    charge_amounts: tuple[Decimal, ...] = field(default=())

    def as_bt_dict(self) -> dict[str, Decimal]:
        return {
            "BT-106": self.line_total,
            "BT-107": self.allowance_total,
            "BT-108": self.charge_total,
            "BT-109": self.tax_exclusive,
            "BT-110": self.tax_total,
            "BT-112": self.tax_inclusive,
            "BT-113": self.prepaid,
            "BT-114": self.rounding,
            "BT-115": self.due,
        }


def compute_totals(
    lines: Iterable[Line],
    allowances: Iterable[Adjustment] = (),
    charges: Iterable[Adjustment] = (),
    prepaid: Decimal = ZERO,
    rounding: Decimal = ZERO,
    places: int = 2,
    vat_amounts: Mapping[VatKey, Decimal] | None = None,
) -> Totals:
    """Compute the totals and VAT breakdown of a document (BR-CO-10 to BR-CO-17).

    ``vat_amounts`` replaces the computed VAT of some groups. An invoice made
    from a quote uses it to carry cumulative VAT (``ardoise.quotes.allocation``),
    which EN 16931 accepts within one currency unit of base x rate (BR-CO-17).
    """
    fixed_vat = vat_amounts or {}
    lines = list(lines)
    line_amounts = tuple(line.net_amount(places) for line in lines)

    group_lines: dict[VatKey, Decimal] = {}
    for line, amount in zip(lines, line_amounts, strict=True):
        group_lines[line.vat] = group_lines.get(line.vat, ZERO) + amount

    allowance_amounts = _resolve_document_adjustments(allowances, group_lines, places)
    charge_amounts = _resolve_document_adjustments(charges, group_lines, places)

    group_bases = dict(group_lines)
    for adjustment, amount in zip(allowances, allowance_amounts, strict=True):
        key = _required_vat(adjustment)
        group_bases[key] = group_bases.get(key, ZERO) - amount
    for adjustment, amount in zip(charges, charge_amounts, strict=True):
        key = _required_vat(adjustment)
        group_bases[key] = group_bases.get(key, ZERO) + amount

    breakdown = tuple(
        VatBreakdown(
            key,
            quantize(base, places),
            quantize(fixed_vat[key], places) if key in fixed_vat else percent_of(base, key.rate, places),
        )
        for key, base in sorted(group_bases.items(), key=_breakdown_order)
    )

    line_total = sum(line_amounts, ZERO)
    allowance_total = sum(allowance_amounts, ZERO)
    charge_total = sum(charge_amounts, ZERO)
    tax_exclusive = line_total - allowance_total + charge_total
    tax_total = sum((row.tax_amount for row in breakdown), ZERO)
    tax_inclusive = tax_exclusive + tax_total
    prepaid = quantize(prepaid, places)
    rounding = quantize(rounding, places)
    return Totals(
        line_total=quantize(line_total, places),
        allowance_total=quantize(allowance_total, places),
        charge_total=quantize(charge_total, places),
        tax_exclusive=quantize(tax_exclusive, places),
        tax_total=quantize(tax_total, places),
        tax_inclusive=quantize(tax_inclusive, places),
        prepaid=prepaid,
        rounding=rounding,
        due=quantize(tax_inclusive - prepaid + rounding, places),
        breakdown=breakdown,
        line_amounts=line_amounts,
        allowance_amounts=allowance_amounts,
        charge_amounts=charge_amounts,
    )


def _resolve_document_adjustments(
    adjustments: Iterable[Adjustment], group_lines: dict[VatKey, Decimal], places: int
) -> tuple[Decimal, ...]:
    return tuple(a.resolve(group_lines.get(_required_vat(a), ZERO), places) for a in adjustments)


def _required_vat(adjustment: Adjustment) -> VatKey:
    if adjustment.vat is None:
        raise ValueError("A document-level allowance or charge needs a VAT category and rate.")
    return adjustment.vat


def _breakdown_order(item: tuple[VatKey, Decimal]) -> tuple[Decimal, str]:
    # Highest rate first, as French invoices usually list them.
    return (-item[0].rate, item[0].category)


def split_proportionally(amount: Decimal, weights: Sequence[Decimal], places: int = 2) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights`` so that the parts add up exactly.

    Uses the largest-remainder method: every part is rounded down to the minor
    unit, then the missing units go to the parts with the largest remainders.
    """
    total_weight = sum(weights, ZERO)
    if not weights or total_weight == ZERO:
        raise ValueError("Cannot split an amount over weights that add up to zero.")
    unit = Decimal(1).scaleb(-places)
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    exact = [magnitude * w / total_weight for w in weights]
    floors = [(e // unit) * unit for e in exact]
    missing = int((quantize(magnitude, places) - sum(floors, ZERO)) / unit)
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - floors[i], reverse=True)
    for index in by_remainder[:missing]:
        floors[index] += unit
    return [sign * part for part in floors]
