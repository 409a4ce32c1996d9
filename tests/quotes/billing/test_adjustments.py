"""Allowances and charges on a quote's total reach every invoice made from it, and the sums stay exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ardoise.core.document import InvoiceDocument
from ardoise.quotes import billing
from ardoise.quotes.billing import BillingChoice, quote_figures
from ardoise.quotes.billing_models import BillingKind
from ardoise.quotes.models import Quote, QuoteLine, QuoteStatus
from ardoise.quotes.services import accept, issue, save_draft

from .conftest import DAY

D = Decimal

TRAVEL = {
    "is_charge": True,
    "amount": "45.00",
    "percent": None,
    "base": None,
    "reason": "Frais de déplacement",
    "reason_code": "",
    "vat_category": "S",
    "vat_rate": "20.00",
    "exemption": "",
}
LOYALTY = {
    "is_charge": False,
    "amount": None,
    "percent": "5.00",
    "base": None,
    "reason": "Remise fidélité",
    "reason_code": "",
    "vat_category": "S",
    "vat_rate": "5.50",
    "exemption": "",
}
# Disbursements at 0 % with no line at that rate: the charge alone gives the exemption reason.
DISBURSEMENT = {
    "is_charge": True,
    "amount": "30.00",
    "percent": None,
    "base": None,
    "reason": "Frais de timbre",
    "reason_code": "",
    "vat_category": "E",
    "vat_rate": "0.00",
    "exemption": "disbursement",
}


@pytest.fixture
def adjusted_quote(organisation, customer, owner) -> Quote:
    """An accepted quote at 20 % and 5.5 %, with a charge at 20 %, an allowance at 5.5 % and a 0 % charge."""
    quote = Quote(
        organisation=organisation,
        customer=customer,
        discount_value=D("3.00"),
        document_adjustments=[TRAVEL, LOYALTY, DISBURSEMENT],
    )
    lines = [
        QuoteLine(name="Pose de carrelage", quantity=D("12.5"), unit="HUR", unit_price=D("65"), vat_rate=D("20")),
        QuoteLine(name="Isolation des combles", quantity=D("3"), unit_price=D("333.33"), vat_rate=D("5.5")),
    ]
    quote = save_draft(quote, lines)
    quote = issue(quote, today=DAY)
    return accept(quote, owner, name="M. Martin")


def issue_choice(quote, choice, owner):
    return billing.issue_from_quote(quote, choice, user=owner, today=DAY)


def figures_of(invoice):
    return billing.document_figures(invoice)


def assert_invoices_add_up(quote):
    invoiced = billing.invoiced_figures(quote)
    for key, amounts in quote_figures(quote).items():
        assert invoiced[key].base == amounts.base, key
        assert invoiced[key].vat == amounts.vat, key
    assert sum((a.total for a in invoiced.values()), D("0")) == quote.total_with_vat


def test_quote_totals_include_adjustments(adjusted_quote):
    figures = quote_figures(adjusted_quote)

    assert figures.keys() == {
        billing.VatKey("S", D("20.00")),
        billing.VatKey("S", D("5.50")),
        billing.VatKey("E", D("0.00")),
    }
    # 812.50 + 45 − 3 % at 20 %; 999.99 − 5 % − 3 % at 5.5 %; 30 at 0 %.
    assert figures[billing.VatKey("E", D("0.00"))].base == D("30.00")
    assert adjusted_quote.total_without_vat == sum((a.base for a in figures.values()), D("0"))


def test_full_invoice_copies_adjustments(adjusted_quote, owner):
    invoice = issue_choice(adjusted_quote, BillingChoice(BillingKind.FULL), owner)

    assert invoice.total_without_vat == adjusted_quote.total_without_vat
    assert invoice.total_vat == adjusted_quote.total_vat
    assert invoice.total_with_vat == adjusted_quote.total_with_vat
    reasons = [raw["reason"] for raw in invoice.document_adjustments]
    assert reasons == ["Frais de déplacement", "Remise fidélité", "Frais de timbre"]
    document = InvoiceDocument.from_json(invoice.document)
    assert "Débours, article 267 II 2° du CGI" in [exemption.reason for exemption in document.vat_exemptions]


def test_deposit_then_final_add_up(adjusted_quote, owner):
    deposit = issue_choice(adjusted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("30")), owner)
    final = issue_choice(adjusted_quote, BillingChoice(BillingKind.FINAL), owner)

    exempt = [line for line in deposit.lines.all() if line.vat_rate == 0]
    assert [line.exemption for line in exempt] == ["disbursement"]
    final_reasons = {raw["reason"]: raw for raw in final.document_adjustments}
    assert final_reasons["Frais de timbre"]["amount"] == "30.00"
    assert final_reasons["Frais de timbre"]["exemption"] == "disbursement"
    assert final_reasons["Frais de déplacement"]["amount"] == "45.00"
    assert final_reasons["Remise fidélité"]["percent"] is None
    assert_invoices_add_up(adjusted_quote)
    adjusted_quote.refresh_from_db()
    assert adjusted_quote.status == QuoteStatus.INVOICED


def test_progress_then_final_add_up(adjusted_quote, owner):
    progress = issue_choice(adjusted_quote, BillingChoice(BillingKind.PROGRESS, percent=D("40")), owner)
    issue_choice(adjusted_quote, BillingChoice(BillingKind.FINAL), owner)

    reasons = sorted(raw["reason"] for raw in progress.document_adjustments)
    assert reasons == ["Frais de déplacement", "Frais de timbre", "Remise fidélité", "Remise globale", "Remise globale"]
    # The charge at 0 % has no line whose progress it could follow: the first situation charges it in full.
    assert figures_of(progress)[billing.VatKey("E", D("0.00"))].base == D("30.00")
    assert_invoices_add_up(adjusted_quote)


def test_two_progress_steps_reach_the_quote(adjusted_quote, owner):
    issue_choice(adjusted_quote, BillingChoice(BillingKind.PROGRESS, percent=D("33.33")), owner)
    issue_choice(adjusted_quote, BillingChoice(BillingKind.PROGRESS, percent=D("100")), owner)

    assert_invoices_add_up(adjusted_quote)
    adjusted_quote.refresh_from_db()
    assert adjusted_quote.status == QuoteStatus.INVOICED
