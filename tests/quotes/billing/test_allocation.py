"""Deposit, progress and final amounts of a quote, computed without the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ardoise.core.money import Adjustment, Line, VatKey, compute_totals, percent_of
from ardoise.quotes.allocation import (
    AllocationError,
    Amounts,
    ProgressItem,
    Step,
    add_figures,
    cumulative_vat,
    deposit_from_amount,
    deposit_from_percent,
    final_balance,
    full_invoice,
    progress_step,
    remaining,
)

D = Decimal
S20 = VatKey("S", D("20"))
S10 = VatKey("S", D("10"))
S55 = VatKey("S", D("5.5"))
S21 = VatKey("S", D("2.1"))
E0 = VatKey("E", D("0"))


def figures_of(lines, allowances=(), charges=()):
    totals = compute_totals(lines, allowances=allowances, charges=charges)
    return {row.key: Amounts(row.taxable_amount, row.tax_amount) for row in totals.breakdown}


def line(price, key, quantity="1", discount=None):
    adjustments = (Adjustment(percent=D(discount)),) if discount else ()
    return Line(D(quantity), D(price), key, adjustments=adjustments)


def sums(quote, steps):
    invoiced = add_figures(*(step.amounts for step in steps))
    return {key: invoiced.get(key, Amounts()) for key in quote}


# A quote of 1 000 € HT at 20 % and 500 € HT at 5,5 %: 1 227,50 € HT after nothing, 1 227,50 + VAT.
QUOTE = {S20: Amounts(D("1000.00"), D("200.00")), S55: Amounts(D("500.00"), D("27.50"))}


def test_cumulative_vat_rounds_the_vat_to_date_once():
    # 0,05 € at 20 % is 0,01 €; two steps of 0,05 € are 0,10 €, whose VAT is 0,02 €.
    first = cumulative_vat(S20, Amounts(), D("0.03"))
    second = cumulative_vat(S20, Amounts(D("0.03"), first), D("0.03"))
    assert first == D("0.01")
    assert second == D("0.00")
    assert first + second == percent_of(D("0.06"), D("20"))


def test_deposit_percent_is_split_in_proportion():
    step = deposit_from_percent(QUOTE, {}, D("30"))
    # 30 % of 1 727,50 € TTC = 518,25 €, split 1 200 : 527,50.
    assert step.total == D("518.25")
    assert step.amounts[S20].total == D("360.00")
    assert step.amounts[S20] == Amounts(D("300.00"), D("60.00"))
    assert step.amounts[S55].total == D("158.25")
    assert step.amounts[S55].base + step.amounts[S55].vat == D("158.25")


def test_deposit_including_vat_exact_cent():
    # At 20 %, no base gives 0,03 € TTC: the VAT takes the missing cent.
    step = deposit_from_amount({S20: Amounts(D("10.00"), D("2.00"))}, {}, D("0.03"), including_vat=True)
    assert step.total == D("0.03")
    assert step.amounts[S20] == Amounts(D("0.02"), D("0.01"))


def test_deposit_amount_excluding_vat_gets_cumulative_vat():
    step = deposit_from_amount(QUOTE, {}, D("150.00"), including_vat=False)
    assert step.base == D("150.00")
    assert step.amounts[S20] == Amounts(D("100.00"), D("20.00"))
    assert step.amounts[S55] == Amounts(D("50.00"), D("2.75"))


def test_deposit_above_what_remains_is_rejected():
    with pytest.raises(AllocationError) as error:
        deposit_from_amount(QUOTE, {S20: Amounts(D("1000.00"), D("200.00"))}, D("600"), including_vat=True)
    assert "600,00" in error.value.message
    assert "527,50" in error.value.message


@pytest.mark.parametrize("percent", [D("0"), D("-5"), D("100.01")])
def test_deposit_percent_out_of_range_is_rejected(percent):
    with pytest.raises(AllocationError) as error:
        deposit_from_percent(QUOTE, {}, percent)
    assert "pourcentage d'acompte" in error.value.message


def test_final_balance_deducts_every_step_exactly():
    first = deposit_from_percent(QUOTE, {}, D("33"))
    second = deposit_from_percent(QUOTE, first.amounts, D("33"))
    invoiced = add_figures(first.amounts, second.amounts)
    final = final_balance(QUOTE, invoiced)
    assert sums(QUOTE, [first, second, final]) == QUOTE


def test_final_balance_after_a_credit_note():
    deposit = deposit_from_percent(QUOTE, {}, D("30"))
    credit = {key: -amounts for key, amounts in deposit.amounts.items()}
    final = final_balance(QUOTE, add_figures(deposit.amounts, credit))
    assert final.amounts == QUOTE


def test_final_balance_rejects_an_excess():
    with pytest.raises(AllocationError) as error:
        final_balance(QUOTE, {S20: Amounts(D("1100.00"), D("220.00"))})
    assert "100,00" in error.value.message
    assert "TVA 20" in error.value.message


def test_full_invoice_needs_nothing_invoiced():
    assert full_invoice(QUOTE, {}).amounts == QUOTE
    with pytest.raises(AllocationError):
        full_invoice(QUOTE, {S20: Amounts(D("1.00"), D("0.20"))})


def test_progress_overall_goes_to_the_full_quote():
    items = [ProgressItem(S20, D("1000.00"), label="Gros œuvre"), ProgressItem(S55, D("500.00"), label="Isolation")]
    first = progress_step(QUOTE, {}, items, [D("33"), D("33")])
    assert [line.to_date for line in first.lines] == [D("330.00"), D("165.00")]
    done = [
        ProgressItem(item.key, item.amount, line.to_date, line.percent, item.label)
        for item, line in zip(items, first.lines, strict=True)
    ]
    second = progress_step(QUOTE, first.step.amounts, done, [D("100"), D("100")])
    assert [line.step for line in second.lines] == [D("670.00"), D("335.00")]
    assert sums(QUOTE, [first.step, second.step]) == QUOTE


def test_progress_per_line_and_document_discount():
    # Two lines at 20 % and a document discount of 10 % (−100 €) that follows them.
    quote = {S20: Amounts(D("900.00"), D("180.00"))}
    items = [
        ProgressItem(S20, D("600.00"), label="A"),
        ProgressItem(S20, D("400.00"), label="B"),
        ProgressItem(S20, D("-100.00"), label="Remise", follows_key=True),
    ]
    progress = progress_step(quote, {}, items, [D("50"), D("0"), None])
    assert [line.to_date for line in progress.lines] == [D("300.00"), D("0.00"), D("-30.00")]
    assert progress.step.amounts[S20] == Amounts(D("270.00"), D("54.00"))


def test_progress_cannot_go_back():
    item = ProgressItem(S20, D("1000.00"), D("600.00"), D("60"), "Gros œuvre")
    with pytest.raises(AllocationError) as error:
        progress_step(QUOTE, {S20: Amounts(D("600.00"), D("120.00"))}, [item], [D("40")])
    assert "Gros œuvre" in error.value.message
    assert "60" in error.value.message


def test_progress_beyond_what_remains_after_a_deposit():
    deposit = deposit_from_percent(QUOTE, {}, D("50"))
    items = [ProgressItem(S20, D("1000.00"), label="A"), ProgressItem(S55, D("500.00"), label="B")]
    with pytest.raises(AllocationError) as error:
        progress_step(QUOTE, deposit.amounts, items, [D("100"), D("100")])
    assert "facture de solde" in error.value.message


def test_progress_that_adds_nothing_is_rejected():
    item = ProgressItem(S20, D("1000.00"), D("500.00"), D("50"), "A")
    with pytest.raises(AllocationError):
        progress_step(QUOTE, {S20: Amounts(D("500.00"), D("100.00"))}, [item], [D("50")])


def test_remaining_subtracts_per_key():
    assert remaining(QUOTE, {S20: Amounts(D("100.00"), D("20.00"))})[S20] == Amounts(D("900.00"), D("180.00"))


# Property: whatever the sequence, the quote's invoices add up to the quote.

KEYS = [S20, S10, S55, S21, E0]
AWKWARD_PERCENTS = st.sampled_from([D("33"), D("66"), D("33.33"), D("10"), D("12.5"), D("1"), D("50")])


@st.composite
def quotes(draw):
    """A quote's lines with line discounts, its allowances and its charges on the total.

    The allowances are the document discount per VAT key and, sometimes, a
    fixed-amount allowance of at most half a key's lines. The charges are
    fixed amounts on any key, also one without lines (transport at 0 %, say).
    """
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        key = draw(st.sampled_from(KEYS))
        price = D(draw(st.integers(min_value=1, max_value=500_000))).scaleb(-2)
        quantity = D(draw(st.integers(min_value=1, max_value=400))).scaleb(-draw(st.sampled_from([0, 1, 2])))
        discount = draw(st.sampled_from([None, "5", "12.5", "33"]))
        lines.append(line(price, key, quantity, discount))
    allowances = []
    if draw(st.booleans()):
        percent = draw(st.sampled_from([D("3"), D("7.5"), D("10")]))
        allowances = [Adjustment(percent=percent, vat=key) for key in {item.vat for item in lines}]
    if draw(st.booleans()):
        line_totals = compute_totals(lines).breakdown
        row = draw(st.sampled_from(line_totals))
        share = D(draw(st.integers(min_value=1, max_value=50))) / 100
        amount = (row.taxable_amount * share).quantize(D("0.01"))
        if amount > 0:
            allowances.append(Adjustment(amount=amount, vat=row.key))
    charges = []
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        amount = D(draw(st.integers(min_value=1, max_value=50_000))).scaleb(-2)
        charges.append(Adjustment(is_charge=True, amount=amount, vat=draw(st.sampled_from(KEYS))))
    return lines, tuple(allowances), tuple(charges)


@st.composite
def plans(draw):
    """A sequence of deposits, progress steps and credit notes."""
    steps = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        kind = draw(st.sampled_from(["percent", "including", "excluding", "progress", "credit"]))
        if kind == "percent":
            steps.append((kind, draw(AWKWARD_PERCENTS)))
        elif kind in ("including", "excluding"):
            steps.append((kind, D(draw(st.integers(min_value=1, max_value=2_000_000))).scaleb(-2)))
        elif kind == "progress":
            steps.append((kind, draw(st.lists(AWKWARD_PERCENTS, min_size=6, max_size=6))))
        else:
            steps.append((kind, draw(st.integers(min_value=0, max_value=10))))
    return steps


def progress_items(lines, allowances, charges, done):
    totals = compute_totals(lines, allowances=allowances, charges=charges)
    items = [
        ProgressItem(item.vat, amount, done.get(index, (D("0"), D("0")))[0], done.get(index, (D("0"), D("0")))[1])
        for index, (item, amount) in enumerate(zip(lines, totals.line_amounts, strict=True))
    ]
    offset = len(items)
    for number, (allowance, amount) in enumerate(zip(allowances, totals.allowance_amounts, strict=True)):
        previous = done.get(offset + number, (D("0"), D("0")))[0]
        items.append(ProgressItem(allowance.vat, -amount, previous, follows_key=True))
    offset = len(items)
    for number, (charge, amount) in enumerate(zip(charges, totals.charge_amounts, strict=True)):
        previous = done.get(offset + number, (D("0"), D("0")))[0]
        items.append(ProgressItem(charge.vat, amount, previous, follows_key=True))
    return items


@settings(max_examples=300, deadline=None)
@given(quote_lines=quotes(), plan=plans())
def test_quote_invoices_add_up_exactly(quote_lines, plan):
    lines, allowances, charges = quote_lines
    quote = figures_of(lines, allowances, charges)
    issued: list[Step] = []
    # Indices in ``issued`` of the credited invoices and of the credit notes themselves.
    credited: set[int] = set()
    done: dict[int, tuple[Decimal, Decimal]] = {}
    for kind, value in plan:
        invoiced = add_figures(*(step.amounts for step in issued))
        try:
            if kind == "percent":
                step = deposit_from_percent(quote, invoiced, value)
            elif kind == "including":
                step = deposit_from_amount(quote, invoiced, value, including_vat=True)
                assert step.total == value
            elif kind == "excluding":
                step = deposit_from_amount(quote, invoiced, value, including_vat=False)
                assert step.base == value
            elif kind == "progress":
                items = progress_items(lines, allowances, charges, done)
                percents = [
                    None if item.follows_key else max(item.percent_before, value[index % len(value)])
                    for index, item in enumerate(items)
                ]
                progress = progress_step(quote, invoiced, items, percents)
                done = {index: (line.to_date, line.percent) for index, line in enumerate(progress.lines)}
                step = progress.step
            else:
                # A credit note cancelling in full an earlier invoice that no credit note cancelled yet.
                open_invoices = [index for index in range(len(issued)) if index not in credited]
                if not open_invoices:
                    continue
                target = open_invoices[value % len(open_invoices)]
                credited.add(target)
                credited.add(len(issued))
                step = Step({key: -amounts for key, amounts in issued[target].amounts.items()})
        except AllocationError:
            continue
        for key, amounts in step.amounts.items():
            # Each invoice's VAT stays within two cents of its own base times its rate.
            assert abs(amounts.vat - percent_of(amounts.base, key.rate)) <= D("0.02")
        issued.append(step)

    invoiced = add_figures(*(step.amounts for step in issued))
    final = final_balance(quote, invoiced)
    totals = sums(quote, [*issued, final])
    for key, amounts in quote.items():
        assert totals[key].base == amounts.base
        assert totals[key].vat == amounts.vat
    grand_total = sum((step.total for step in [*issued, final]), D("0"))
    assert grand_total == sum((amounts.total for amounts in quote.values()), D("0"))
