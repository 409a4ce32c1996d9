"""Properties: a credit note for a whole invoice is its exact negative, in every total and VAT group.

Partial credit notes add up to the invoice. Invoices are generated with several
VAT rates, line discounts, a global discount (percent or amount), document
allowances and charges, deposits and a rounding amount.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ardoise.core.document import InvoiceDocument
from ardoise.core.money import Adjustment, VatKey
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.documents import adjustment_to_json, draft_totals
from ardoise.invoicing.models import DiscountKind, Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice, preview_document, refresh_totals, save_draft

RATES = [Decimal("20.00"), Decimal("10.00"), Decimal("5.50"), Decimal("2.10"), Decimal("0.00")]
DAY = datetime.date(2026, 12, 4)

lines = st.lists(
    st.tuples(
        # At least one cent per line, so that an amount discount always has a line net to spread over.
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=4),
        st.decimals(min_value=Decimal("1"), max_value=Decimal("2000"), places=4),
        st.sampled_from(RATES),
        st.sampled_from([Decimal("0"), Decimal("5"), Decimal("12.5"), Decimal("33.33")]),
    ),
    min_size=1,
    max_size=6,
)
discounts = st.one_of(
    st.just((DiscountKind.PERCENT, Decimal("0"))),
    st.tuples(st.just(DiscountKind.PERCENT), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("30"), places=2)),
    st.tuples(st.just(DiscountKind.AMOUNT), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5"), places=2)),
)
rows = st.lists(
    st.tuples(
        st.booleans(),
        st.one_of(
            st.tuples(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20"), places=2), st.none()),
            st.tuples(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10"), places=2)),
        ),
        st.sampled_from(RATES[:4]),
    ),
    max_size=3,
)

deposit_shares = st.sampled_from([0, 0, 10, 45])
roundings = st.sampled_from([Decimal("0.00"), Decimal("0.01"), Decimal("-0.01")])


def make_invoice(organisation, customer, line_values, discount, row_values) -> Invoice:
    kind, value = discount
    invoice = Invoice(organisation=organisation, customer=customer, discount_kind=kind, discount_value=value)
    invoice.document_adjustments = [
        adjustment_to_json(
            Adjustment(
                is_charge=is_charge,
                amount=amount,
                percent=percent,
                reason="Frais de port" if is_charge else "Geste commercial",
                vat=VatKey("S", rate),
            )
        )
        for is_charge, (amount, percent), rate in row_values
    ]
    drafted = [
        InvoiceLine(name="Ligne %s" % index, quantity=quantity, unit_price=price, vat_rate=rate, discount_percent=off)
        for index, (quantity, price, rate, off) in enumerate(line_values)
    ]
    return save_draft(invoice, drafted)


def add_deposit_and_rounding(invoice: Invoice, deposit_share: int, rounding: Decimal) -> None:
    """Deduct deposits already paid (BT-113), a share of the total, and add a rounding amount (BT-114)."""
    invoice.prepaid_amount = (invoice.total_with_vat * deposit_share / 100).quantize(Decimal("0.01"))
    invoice.rounding_amount = rounding
    invoice.save()
    refresh_totals(invoice)


def is_issuable(invoice: Invoice) -> bool:
    """Tell whether the editor would let this draft be issued.

    The editor rejects discounts larger than the lines, so a VAT group with a
    negative base is left out, as is an invoice with nothing to pay.
    """
    totals = draft_totals(invoice)
    return invoice.amount_due > 0 and all(row.taxable_amount >= 0 for row in totals.breakdown)


# Each example issues an invoice (PDF and XML validation), so the examples are few.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line_values=lines, discount=discounts, row_values=rows, deposit_share=deposit_shares, rounding=roundings)
def test_full_credit_note_is_exact_negative(
    organisation, customer, line_values, discount, row_values, deposit_share, rounding
):
    invoice = make_invoice(organisation, customer, line_values, discount, row_values)
    add_deposit_and_rounding(invoice, deposit_share, rounding)
    if not is_issuable(invoice):
        return
    invoice = issue_invoice(invoice, today=DAY)

    # The preview is built as issuing builds the document; issuing itself is tested with the validators.
    credit_note = create_credit_note(invoice)

    original = InvoiceDocument.from_json(invoice.document).totals()
    credited = preview_document(credit_note, today=DAY).totals()
    assert credited.as_bt_dict() == original.as_bt_dict()
    assert [(row.key, row.taxable_amount, row.tax_amount) for row in credited.breakdown] == [
        (row.key, row.taxable_amount, row.tax_amount) for row in original.breakdown
    ]
    assert credit_note.signed_total_with_vat == -invoice.total_with_vat
    assert credit_note.amount_due == invoice.amount_due


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    line_values=lines,
    discount=discounts,
    row_values=rows,
    deposit_share=deposit_shares,
    rounding=roundings,
    share=st.integers(min_value=1, max_value=99),
)
# A 0.01 invoice whose half, rounded line by line, credits 0.02.
@example(
    line_values=[(Decimal("0.0100"), Decimal("1"), Decimal("20.00"), Decimal("0"))] * 2,
    discount=(DiscountKind.PERCENT, Decimal("0")),
    row_values=[],
    deposit_share=0,
    rounding=Decimal("-0.01"),
    share=50,
)
def test_partial_credit_notes_add_up_to_invoice(
    organisation, customer, line_values, discount, row_values, deposit_share, rounding, share
):
    invoice = make_invoice(organisation, customer, line_values, discount, row_values)
    add_deposit_and_rounding(invoice, deposit_share, rounding)
    if not is_issuable(invoice):
        return
    invoice = issue_invoice(invoice, today=DAY)
    first_quantities = {
        rank: (line.quantity * share / 100).quantize(Decimal("0.0001"))
        for rank, line in enumerate(invoice.lines.all(), start=1)
    }
    if not any(first_quantities.values()):
        return

    first = issue_invoice(create_credit_note(invoice, first_quantities), today=DAY)
    last = issue_invoice(create_credit_note(invoice), today=DAY)

    assert first.amount_due + last.amount_due == invoice.amount_due
    assert first.total_without_vat + last.total_without_vat == invoice.total_without_vat
    invoice.refresh_from_db()
    assert invoice.balance() == Decimal("0.00")
