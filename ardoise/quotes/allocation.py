"""Amounts of the invoices made from a quote: deposits, progress steps, the final balance.

Pure functions with no database access. A quote's figures are its VAT
breakdown after discounts, one ``Amounts`` per VAT key. What was already
invoiced is the same breakdown summed over the issued invoices of the quote,
minus their credit notes. Each function returns the ``Step`` one new invoice
charges per VAT key, or raises ``AllocationError`` with a French message.

The VAT of a step is cumulative: the VAT invoiced to date on a key is the VAT
of the base invoiced to date, rounded once (``cumulative_vat``). Rounding
errors therefore never pile up, and the final balance (quote minus everything
invoiced, per key) makes the excluding-VAT, VAT and including-VAT sums of all
the quote's invoices equal the quote's own, to the cent. A step's VAT stays
within two minor units of its own base times its rate, well inside the one
currency unit that EN 16931 tolerates (BR-CO-17, BR-S-09).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount, format_rate
from ardoise.core.money import HUNDRED, ZERO, VatKey, percent_of, quantize, split_proportionally


class AllocationError(ValueError):
    """A quote invoicing step that cannot be made, with a French message naming the value and the fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Amounts:
    """The excluding-VAT base and the VAT of one VAT key."""

    base: Decimal = ZERO
    vat: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.base + self.vat

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.base + other.base, self.vat + other.vat)

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(self.base - other.base, self.vat - other.vat)

    def __neg__(self) -> Amounts:
        return Amounts(-self.base, -self.vat)


Figures = Mapping[VatKey, Amounts]


@dataclass(frozen=True)
class Step:
    """The amounts one invoice made from a quote charges, per VAT key."""

    amounts: dict[VatKey, Amounts] = field(default_factory=dict)

    @property
    def base(self) -> Decimal:
        return sum((a.base for a in self.amounts.values()), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((a.vat for a in self.amounts.values()), ZERO)

    @property
    def total(self) -> Decimal:
        return self.base + self.vat


def add_figures(*figures: Figures) -> dict[VatKey, Amounts]:
    """Sum breakdowns key by key; a key missing from one counts as zero."""
    result: dict[VatKey, Amounts] = {}
    for breakdown in figures:
        for key, amounts in breakdown.items():
            result[key] = result.get(key, Amounts()) + amounts
    return result


def remaining(quote: Figures, invoiced: Figures) -> dict[VatKey, Amounts]:
    """Return what is left to invoice per VAT key: the quote minus what was invoiced."""
    return add_figures(quote, {key: -amounts for key, amounts in invoiced.items()})


def cumulative_vat(key: VatKey, invoiced: Amounts, base: Decimal, places: int = 2) -> Decimal:
    """Return the VAT of a step of ``base`` on ``key``, given what the key already invoiced.

    It is the VAT of the base to date minus the VAT already invoiced, so the
    VAT to date is always rounded once, as if one invoice carried it all.
    """
    return percent_of(invoiced.base + base, key.rate, places) - invoiced.vat


def key_label(key: VatKey) -> str:
    """Name a VAT key in French: « TVA 20 % », or « TVA 0 % (E) » with the category of a 0 % key."""
    if key.rate:
        return _("TVA %(rate)s") % {"rate": format_rate(key.rate)}
    return _("TVA 0 %% (%(category)s)") % {"category": key.category}


# Deposits (factures d'acompte).


def deposit_from_percent(
    quote: Figures, invoiced: Figures, percent: Decimal, *, places: int = 2, currency: str = "EUR"
) -> Step:
    """Return a deposit of ``percent`` % of the quote's total including VAT.

    The amount is split over the VAT keys like ``deposit_from_amount`` does.
    """
    if not ZERO < percent <= HUNDRED:
        raise AllocationError(
            _("Le pourcentage d'acompte (%(percent)s) doit être supérieur à 0 et au plus égal à 100 %%.")
            % {"percent": format_rate(percent)}
        )
    quote_total = sum((a.total for a in quote.values()), ZERO)
    amount = percent_of(quote_total, percent, places)
    if amount <= ZERO:
        raise AllocationError(
            _("Un acompte de %(percent)s du devis fait %(amount)s : choisissez un pourcentage plus élevé.")
            % {"percent": format_rate(percent), "amount": format_amount(amount, currency)}
        )
    return deposit_from_amount(quote, invoiced, amount, including_vat=True, places=places, currency=currency)


def deposit_from_amount(
    quote: Figures,
    invoiced: Figures,
    amount: Decimal,
    *,
    including_vat: bool,
    places: int = 2,
    currency: str = "EUR",
) -> Step:
    """Return a deposit of ``amount``, including or excluding VAT, split over the VAT keys.

    The split follows what remains to invoice on each key (the quote's own
    proportions while only proportional deposits were made), by the largest
    remainder, so the parts add up to ``amount`` exactly. An amount including
    VAT is met to the cent: each key gets the largest base whose cumulative
    VAT keeps it within its part, and the VAT takes the cent that may be left.
    """
    amount = quantize(amount, places)
    left = remaining(quote, invoiced)
    available = sum(((a.total if including_vat else a.base) for a in left.values()), ZERO)
    label = _("TTC") if including_vat else _("HT")
    if amount <= ZERO:
        raise AllocationError(
            _("Le montant de l'acompte (%(amount)s %(label)s) doit être positif.")
            % {"amount": format_amount(amount, currency), "label": label}
        )
    if amount > available:
        raise AllocationError(
            _(
                "L'acompte de %(amount)s %(label)s dépasse ce qui reste à facturer sur le devis "
                "(%(available)s %(label)s) : indiquez un montant plus petit."
            )
            % {
                "amount": format_amount(amount, currency),
                "label": label,
                "available": format_amount(available, currency),
            }
        )

    keys = [key for key, amounts in left.items() if (amounts.total if including_vat else amounts.base) > ZERO]
    weights = [left[key].total if including_vat else left[key].base for key in keys]
    parts = split_proportionally(amount, weights, places)
    amounts: dict[VatKey, Amounts] = {}
    for key, part in zip(keys, parts, strict=True):
        before = invoiced.get(key, Amounts())
        if including_vat:
            amounts[key] = _amounts_for_total(key, before, part, places)
        else:
            amounts[key] = Amounts(part, cumulative_vat(key, before, part, places))
    return Step({key: value for key, value in amounts.items() if value.base or value.vat})


def _amounts_for_total(key: VatKey, invoiced: Amounts, total: Decimal, places: int) -> Amounts:
    """Return the base and VAT on ``key`` whose sum is ``total``, the VAT being cumulative.

    ``b + cumulative_vat(b)`` grows by one or two minor units per unit of
    ``b``, so some totals cannot be met exactly: the VAT then takes the
    missing unit.
    """
    unit = Decimal(1).scaleb(-places)

    def total_for(base: Decimal) -> Decimal:
        return base + cumulative_vat(key, invoiced, base, places)

    divisor = 1 + key.rate / HUNDRED
    base = quantize((total + invoiced.total) / divisor - invoiced.base, places)
    while base > ZERO and total_for(base) > total:
        base -= unit
    while total_for(base + unit) <= total:
        base += unit
    return Amounts(base, total - base)


# Progress invoices (factures de situation).


@dataclass(frozen=True)
class ProgressItem:
    """A part of the quote that progress invoices charge step by step.

    A quote line, with its net amount after its own discount, or a
    document-level allowance (negative) or charge of one VAT key. An item
    that ``follows_key`` (the document-level ones) progresses as the lines of
    its key do, so a document discount is granted in proportion in every step.
    """

    key: VatKey
    amount: Decimal  # net amount in the quote
    invoiced: Decimal = ZERO  # the part earlier progress invoices charged
    percent_before: Decimal = ZERO  # the cumulative percentage reached so far
    label: str = ""
    follows_key: bool = False


@dataclass(frozen=True)
class ProgressLine:
    """One item of a progress step: its cumulative percentage, its amount to date and this step's part."""

    item: ProgressItem
    percent: Decimal
    to_date: Decimal
    step: Decimal


@dataclass(frozen=True)
class Progress:
    lines: tuple[ProgressLine, ...]
    step: Step


def progress_step(
    quote: Figures,
    invoiced: Figures,
    items: Sequence[ProgressItem],
    percents: Sequence[Decimal | None],
    *,
    places: int = 2,
    currency: str = "EUR",
) -> Progress:
    """Return a progress invoice that takes each item to its cumulative percentage.

    ``percents`` gives one cumulative percentage per item, ``None`` for an item
    that follows its key. Each item's amount to date is its percentage of its
    net amount, rounded once, and the step charges the amount to date minus
    what earlier progress invoices charged. At 100 % every item is charged in
    full. Deposits are not deducted here but on the final invoice, so a step
    must fit in what remains to invoice on each key.
    """
    if len(items) != len(percents):
        raise ValueError("progress_step() needs one percentage per item.")
    for item, percent in zip(items, percents, strict=True):
        if item.follows_key:
            continue
        _check_progress_percent(item, percent)

    to_date = [
        ZERO if item.follows_key else percent_of(item.amount, percent or ZERO, places)
        for item, percent in zip(items, percents, strict=True)
    ]
    to_date = _follow_keys(items, to_date, places)
    lines = []
    for item, percent, amount_to_date in zip(items, percents, to_date, strict=True):
        if item.follows_key:
            percent = _share_percent(item.amount, amount_to_date)
        lines.append(ProgressLine(item, percent or ZERO, amount_to_date, amount_to_date - item.invoiced))

    bases: dict[VatKey, Decimal] = {}
    for line in lines:
        bases[line.item.key] = bases.get(line.item.key, ZERO) + line.step
    if all(base == ZERO for base in bases.values()):
        raise AllocationError(
            _(
                "Cette situation ne facture rien de plus que les précédentes : "
                "indiquez des pourcentages cumulés plus élevés."
            )
        )
    left = remaining(quote, invoiced)
    for key, base in bases.items():
        available = left.get(key, Amounts()).base
        if base > available:
            raise AllocationError(
                _(
                    "La situation facture %(amount)s HT au taux %(key)s, mais il ne reste que %(available)s HT "
                    "à facturer à ce taux sur le devis : établissez plutôt la facture de solde, "
                    "qui déduit les acomptes."
                )
                % {
                    "amount": format_amount(base, currency),
                    "key": key_label(key),
                    "available": format_amount(available, currency),
                }
            )
    amounts = {
        key: Amounts(base, cumulative_vat(key, invoiced.get(key, Amounts()), base, places))
        for key, base in bases.items()
        if base
    }
    return Progress(tuple(lines), Step(amounts))


def _check_progress_percent(item: ProgressItem, percent: Decimal | None) -> None:
    if percent is None or not ZERO <= percent <= HUNDRED:
        raise AllocationError(
            _("Le pourcentage cumulé de « %(label)s » (%(percent)s) doit être compris entre 0 et 100 %%.")
            % {"label": item.label, "percent": "—" if percent is None else format_rate(percent)}
        )
    if percent < item.percent_before:
        raise AllocationError(
            _(
                "Le pourcentage cumulé de « %(label)s » (%(percent)s) est inférieur à celui déjà facturé "
                "(%(before)s) : une situation ne peut que progresser ; pour revenir en arrière, établissez un avoir."
            )
            % {"label": item.label, "percent": format_rate(percent), "before": format_rate(item.percent_before)}
        )


def _follow_keys(items: Sequence[ProgressItem], to_date: list[Decimal], places: int) -> list[Decimal]:
    """Give each document-level item the progress of the lines of its key."""
    line_totals: dict[VatKey, Decimal] = {}
    line_to_date: dict[VatKey, Decimal] = {}
    for item, amount in zip(items, to_date, strict=True):
        if not item.follows_key:
            line_totals[item.key] = line_totals.get(item.key, ZERO) + item.amount
            line_to_date[item.key] = line_to_date.get(item.key, ZERO) + amount
    result = []
    for item, amount in zip(items, to_date, strict=True):
        if item.follows_key:
            total = line_totals.get(item.key, ZERO)
            if total == line_to_date.get(item.key, ZERO):
                # Every line of the key is charged in full: so is the adjustment, without a rounding.
                amount = item.amount
            else:
                amount = quantize(item.amount * line_to_date[item.key] / total, places) if total else ZERO
        result.append(amount)
    return result


def _share_percent(amount: Decimal, to_date: Decimal) -> Decimal:
    if not amount:
        return ZERO
    return quantize(to_date * HUNDRED / amount, 2)


# The final invoice (facture de solde).


def final_balance(quote: Figures, invoiced: Figures, *, currency: str = "EUR") -> Step:
    """Return what the final invoice charges: the quote minus everything invoiced, per key, exactly.

    Raises ``AllocationError`` when the invoices already issued exceed the
    quote on a key, which only a hand-edited invoice can cause.
    """
    left = remaining(quote, invoiced)
    for key, amounts in left.items():
        if amounts.base < ZERO or amounts.total < ZERO:
            raise AllocationError(
                _(
                    "Les factures du devis dépassent déjà son montant au taux %(key)s de %(excess)s HT : "
                    "établissez un avoir sur la facture en trop plutôt qu'une facture de solde."
                )
                % {"key": key_label(key), "excess": format_amount(-amounts.base, currency)}
            )
    return Step({key: amounts for key, amounts in left.items() if amounts.base or amounts.vat})


def full_invoice(quote: Figures, invoiced: Figures, *, currency: str = "EUR") -> Step:
    """Return a single invoice for the whole quote; nothing may have been invoiced before."""
    if any(amounts.base or amounts.vat for amounts in invoiced.values()):
        raise AllocationError(
            _(
                "Une partie du devis est déjà facturée : établissez la facture de solde, "
                "qui déduit les factures précédentes."
            )
        )
    return Step({key: amounts for key, amounts in quote.items() if amounts.base or amounts.vat})


def sum_steps(steps: Iterable[Step]) -> dict[VatKey, Amounts]:
    """Sum the amounts of several steps key by key."""
    return add_figures(*(step.amounts for step in steps))
