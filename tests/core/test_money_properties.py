"""Properties of the EN 16931 totals, checked by Hypothesis on generated invoices.

The invoices mix several VAT rates (mainland, Corsican, overseas, 0 %),
line allowances and charges given as amounts or percentages, document
allowances and charges per VAT group, and currencies with 0, 2 and 3
decimals. Ardoise caps invoice amounts at 2 decimals (EN 16931), but the
money module must stay exact for any number of places.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ardoise.core.money import Adjustment, Line, VatKey, compute_totals

# Enough examples to meet the edge cases, few enough to run in a few seconds.
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)

RATES = [Decimal(rate) for rate in ("20", "13", "10", "8.5", "5.5", "2.1", "1.75", "1.05", "0.9")]
VAT_KEYS = [VatKey("S", rate) for rate in RATES] + [VatKey("Z", Decimal("0")), VatKey("E", Decimal("0"))]
PLACES = st.sampled_from([0, 2, 3])  # JPY, EUR, KWD
# Percentages that keep each part's allowance exact (see ``price_in``).
PERCENTS = st.sampled_from([Decimal("5"), Decimal("10"), Decimal("20"), Decimal("25"), Decimal("50")])


def price_in(draw, places: int) -> Decimal:
    """Draw a unit price, a multiple of 20 minor units.

    Then quantity x price x percent / 100 is a whole number of minor units
    for every whole quantity and every percentage of ``PERCENTS``.
    """
    units = draw(st.integers(min_value=1, max_value=5_000))
    return Decimal(units * 20).scaleb(-places)


def amount_in(draw, places: int, max_units: int = 2_000) -> Decimal:
    return Decimal(draw(st.integers(min_value=1, max_value=max_units))).scaleb(-places)


@st.composite
def split_line(draw, places: int):
    """A line, and the same line split into parts by quantity.

    Each part keeps the line's percentage allowances and charges, whose
    amounts stay exact (``price_in``). The line's fixed-amount allowances
    and charges are dealt out to the parts in turn, so that the parts'
    adjustments add up to the line's.
    """
    quantity = draw(st.integers(min_value=1, max_value=300))
    price = price_in(draw, places)
    vat = draw(st.sampled_from(VAT_KEYS))
    gross = quantity * price
    percent_rows = draw(st.lists(st.tuples(st.booleans(), PERCENTS), max_size=2))
    percent_adjustments = [Adjustment(is_charge=charge, percent=percent) for charge, percent in percent_rows]
    # Each fixed amount is at most a quarter of the line's gross amount.
    fixed_rows = draw(st.lists(st.booleans(), max_size=2))
    fixed_adjustments = [
        Adjustment(is_charge=charge, amount=amount_in(draw, places, max_units=max(1, int(gross.scaleb(places)) // 4)))
        for charge in fixed_rows
    ]
    line = Line(Decimal(quantity), price, vat, adjustments=(*percent_adjustments, *fixed_adjustments))

    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=quantity - 1), max_size=3))) if quantity > 1 else []
    bounds = [0, *cuts, quantity]
    quantities = [high - low for low, high in itertools.pairwise(bounds)]
    parts = []
    for index, part_quantity in enumerate(quantities):
        fixed = tuple(fixed_adjustments[index :: len(quantities)])
        parts.append(Line(Decimal(part_quantity), price, vat, adjustments=(*percent_adjustments, *fixed)))
    return line, parts


@st.composite
def invoices(draw, places: int | None = None):
    """Lines, document allowances, document charges and places of a generated invoice."""
    places = draw(PLACES) if places is None else places
    pairs = draw(st.lists(split_line(places), min_size=1, max_size=6))
    keys = sorted({line.vat for line, _parts in pairs}, key=lambda key: (key.category, key.rate))
    allowances = draw(st.lists(document_adjustment(keys, places, is_charge=False), max_size=2))
    charges = draw(st.lists(document_adjustment(keys, places, is_charge=True), max_size=2))
    return pairs, allowances, charges, places


def document_adjustment(keys: list[VatKey], places: int, is_charge: bool):
    @st.composite
    def build(draw):
        vat = draw(st.sampled_from(keys))
        if draw(st.booleans()):
            return Adjustment(is_charge=is_charge, percent=draw(PERCENTS), vat=vat)
        return Adjustment(is_charge=is_charge, amount=amount_in(draw, places, max_units=500), vat=vat)

    return build()


def totals_of(lines, allowances, charges, places):
    return compute_totals(lines, allowances=allowances, charges=charges, places=places)


@PROPERTY_SETTINGS
@given(invoices(), st.data())
def test_splitting_a_line_never_changes_totals(invoice, data):
    """Splitting a line's whole quantity into parts, with exact part amounts, keeps every total.

    The parts carry the line's price, VAT and percentage adjustments, and
    share its fixed-amount adjustments. Each part's net amount is then exact
    in the minor unit, so only the VAT rounding could differ. It must not,
    because VAT is computed once per group, never summed per line (BR-CO-17).
    """
    pairs, allowances, charges, places = invoice
    index = data.draw(st.integers(min_value=0, max_value=len(pairs) - 1))
    original = [line for line, _parts in pairs]
    split = original[:index] + pairs[index][1] + original[index + 1 :]

    before = totals_of(original, allowances, charges, places)
    after = totals_of(split, allowances, charges, places)

    assert after.as_bt_dict() == before.as_bt_dict()
    assert after.breakdown == before.breakdown
    assert after.allowance_amounts == before.allowance_amounts
    assert after.charge_amounts == before.charge_amounts


@PROPERTY_SETTINGS
@given(invoices())
def test_vat_breakdown_adds_up_to_vat_total(invoice):
    pairs, allowances, charges, places = invoice
    lines = [line for line, _parts in pairs]

    totals = totals_of(lines, allowances, charges, places)

    assert sum(row.tax_amount for row in totals.breakdown) == totals.tax_total
    assert sum(row.taxable_amount for row in totals.breakdown) == totals.tax_exclusive
    assert totals.tax_exclusive == totals.line_total - totals.allowance_total + totals.charge_total
    assert totals.tax_inclusive == totals.tax_exclusive + totals.tax_total
    assert totals.due == totals.tax_inclusive - totals.prepaid + totals.rounding


@PROPERTY_SETTINGS
@given(invoices(), st.randoms(use_true_random=False))
def test_totals_do_not_depend_on_line_order(invoice, random):
    pairs, allowances, charges, places = invoice
    lines = [line for line, _parts in pairs]
    shuffled = list(lines)
    random.shuffle(shuffled)

    before = totals_of(lines, allowances, charges, places)
    after = totals_of(shuffled, allowances, charges, places)

    assert after.as_bt_dict() == before.as_bt_dict()
    assert after.breakdown == before.breakdown
    assert sorted(after.line_amounts) == sorted(before.line_amounts)


@PROPERTY_SETTINGS
@given(invoices())
def test_amounts_have_the_currency_places(invoice):
    pairs, allowances, charges, places = invoice
    lines = [line for line, _parts in pairs]

    totals = totals_of(lines, allowances, charges, places)

    amounts = [*totals.as_bt_dict().values(), *totals.line_amounts]
    amounts += [value for row in totals.breakdown for value in (row.taxable_amount, row.tax_amount)]
    for amount in amounts:
        assert amount.as_tuple().exponent == -places, amount
