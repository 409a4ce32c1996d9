import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ardoise.core.money import (
    Adjustment,
    Line,
    VatKey,
    compute_totals,
    currency_decimals,
    is_currency_code,
    percent_of,
    quantize,
    split_proportionally,
)

S20 = VatKey("S", Decimal("20"))
S10 = VatKey("S", Decimal("10"))
S55 = VatKey("S", Decimal("5.5"))


def test_quantize_rounds_half_up():
    assert quantize(Decimal("2.345")) == Decimal("2.35")
    assert quantize(Decimal("-2.345")) == Decimal("-2.35")
    assert quantize(Decimal("2.3449")) == Decimal("2.34")


def test_quantize_refuses_floats():
    with pytest.raises(TypeError):
        quantize(2.345)  # type: ignore[arg-type]


def test_currency_decimals():
    assert currency_decimals("EUR") == 2
    assert currency_decimals("JPY") == 0
    assert currency_decimals("kwd") == 2  # 3 in ISO 4217, but EN 16931 allows 2
    assert currency_decimals("XOF") == 0
    assert currency_decimals("ZZZ") == 2


def test_currency_codes_follow_iso_4217():
    assert is_currency_code("usd")
    assert is_currency_code("XPF")
    assert not is_currency_code("XAU")  # gold has no minor unit
    assert not is_currency_code("EURO")
    assert not is_currency_code("ZZZ")


def test_vat_keys_with_equal_rates_are_one_group():
    assert VatKey("S", Decimal("20.00")) == VatKey("S", Decimal("20"))


def test_line_net_amount_with_four_decimal_price():
    line = Line(quantity=Decimal("3"), net_price=Decimal("28.4360"), vat=S55)
    assert line.net_amount() == Decimal("85.31")


def test_line_net_amount_with_base_quantity_and_discount():
    line = Line(
        quantity=Decimal("250"),
        net_price=Decimal("12.00"),
        base_quantity=Decimal("100"),
        vat=S20,
        adjustments=(Adjustment(percent=Decimal("10")),),
    )
    # 250 × 12.00 / 100 = 30.00, minus 10 % = 27.00
    assert line.net_amount() == Decimal("27.00")


def test_vat_is_computed_on_the_group_base_not_summed_per_line():
    lines = [Line(quantity=Decimal("1"), net_price=Decimal("0.05"), vat=S20) for _ in range(3)]
    totals = compute_totals(lines)
    # Per-line VAT would give 3 × 0.01 = 0.03; EN 16931 gives 20 % of 0.15 = 0.03 too,
    # but with 0.025 it differs: check the exact rule on a sharper case below.
    assert totals.tax_total == Decimal("0.03")
    sharp = compute_totals([Line(quantity=Decimal("1"), net_price=Decimal("0.025"), vat=S20) for _ in range(4)])
    # Each line rounds to 0.03 (half up), base 0.12, VAT 0.024 -> 0.02 (per line it would be 4 × 0.01 = 0.04).
    assert sharp.line_total == Decimal("0.12")
    assert sharp.tax_total == Decimal("0.02")


def test_totals_with_several_rates_and_document_allowance():
    lines = [
        Line(quantity=Decimal("2"), net_price=Decimal("650"), vat=S20),
        Line(quantity=Decimal("3"), net_price=Decimal("28.436"), vat=S55),
        Line(quantity=Decimal("1"), net_price=Decimal("19.99"), vat=S10),
    ]
    allowances = [Adjustment(amount=Decimal("100"), vat=S20)]
    charges = [Adjustment(percent=Decimal("5"), vat=S10)]
    totals = compute_totals(lines, allowances, charges, prepaid=Decimal("200"))
    assert totals.line_total == Decimal("1405.30")
    assert totals.allowance_total == Decimal("100.00")
    assert totals.charge_total == Decimal("1.00")
    assert totals.tax_exclusive == Decimal("1306.30")
    breakdown = {row.key.rate: (row.taxable_amount, row.tax_amount) for row in totals.breakdown}
    assert breakdown[Decimal("20")] == (Decimal("1200.00"), Decimal("240.00"))
    assert breakdown[Decimal("5.5")] == (Decimal("85.31"), Decimal("4.69"))
    assert breakdown[Decimal("10")] == (Decimal("20.99"), Decimal("2.10"))
    assert totals.tax_total == Decimal("246.79")
    assert totals.tax_inclusive == Decimal("1553.09")
    assert totals.due == Decimal("1353.09")


def test_breakdown_lists_highest_rate_first():
    lines = [Line(quantity=Decimal("1"), net_price=Decimal("1"), vat=key) for key in (S55, S20, S10)]
    assert [row.key.rate for row in compute_totals(lines).breakdown] == [Decimal("20"), Decimal("10"), Decimal("5.5")]


def test_document_allowance_without_vat_is_rejected():
    with pytest.raises(ValueError):
        compute_totals(
            [Line(quantity=Decimal("1"), net_price=Decimal("1"), vat=S20)], [Adjustment(amount=Decimal("1"))]
        )


def test_percent_of():
    assert percent_of(Decimal("85.31"), Decimal("5.5")) == Decimal("4.69")


def test_split_proportionally_adds_up_exactly():
    parts = split_proportionally(Decimal("100.00"), [Decimal("1"), Decimal("1"), Decimal("1")])
    assert parts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(parts) == Decimal("100.00")


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
rates = st.sampled_from([Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("0")])


@st.composite
def invoice_with_split(draw):
    """An invoice, and the same invoice with one line split into several lines.

    Prices have two decimals and quantities are whole, so each line net amount is
    exact and the EN 16931 rule must give the same totals either way.
    """
    count = draw(st.integers(min_value=1, max_value=6))
    lines = [
        Line(quantity=Decimal(draw(st.integers(1, 500))), net_price=draw(prices), vat=VatKey("S", draw(rates)))
        for _ in range(count)
    ]
    index = draw(st.integers(min_value=0, max_value=count - 1))
    target = lines[index]
    total_quantity = int(target.quantity)
    cuts = sorted(draw(st.lists(st.integers(1, total_quantity), max_size=4, unique=True)))
    bounds = [0, *[c for c in cuts if c < total_quantity], total_quantity]
    pieces = [
        Line(quantity=Decimal(high - low), net_price=target.net_price, vat=target.vat)
        for low, high in itertools.pairwise(bounds)
    ]
    split = lines[:index] + pieces + lines[index + 1 :]
    return lines, split


@settings(max_examples=300, deadline=None)
@given(invoice_with_split())
def test_splitting_a_line_never_changes_totals(pair):
    original, split = pair
    before = compute_totals(original)
    after = compute_totals(split)
    assert after.as_bt_dict() == before.as_bt_dict()
    assert after.breakdown == before.breakdown


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 50), prices, rates), min_size=1, max_size=8), st.randoms())
def test_totals_do_not_depend_on_line_order(raw_lines, random):
    lines = [Line(quantity=Decimal(q), net_price=p, vat=VatKey("S", r)) for q, p, r in raw_lines]
    shuffled = list(lines)
    random.shuffle(shuffled)
    assert compute_totals(shuffled).as_bt_dict() == compute_totals(lines).as_bt_dict()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 50), prices, rates), min_size=1, max_size=8))
def test_vat_breakdown_adds_up_to_vat_total(raw_lines):
    lines = [Line(quantity=Decimal(q), net_price=p, vat=VatKey("S", r)) for q, p, r in raw_lines]
    totals = compute_totals(lines)
    assert sum(row.tax_amount for row in totals.breakdown) == totals.tax_total
    assert sum(row.taxable_amount for row in totals.breakdown) == totals.tax_exclusive


def test_rounding_never_gives_negative_zero():
    assert str(quantize(Decimal("-0.001"), 2)) == "0.00"
    assert str(percent_of(Decimal("-25"), Decimal("0"))) == "0.00"
