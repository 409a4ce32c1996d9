"""Invoices made from an accepted quote, on the database: drafts, issue, XML, credit notes and status."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from ardoise.audit.models import AuditEntry
from ardoise.core.document import InvoiceDocument
from ardoise.einvoice.validation import validate_cii
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import DocumentType, Invoice
from ardoise.invoicing.services import issue_invoice
from ardoise.mailing.models import OutboundEmail
from ardoise.quotes import billing
from ardoise.quotes.billing import BillingChoice, billed_invoices, quote_figures
from ardoise.quotes.billing_models import BillingKind, QuoteInvoice
from ardoise.quotes.exceptions import QuoteError
from ardoise.quotes.models import Quote, QuoteLine, QuoteStatus
from ardoise.quotes.services import accept, issue, save_draft

from .conftest import DAY

D = Decimal
CII = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def total_of(figures):
    return sum((a.total for a in figures.values()), D("0"))


def issued_sum(quote):
    """Sum the VAT breakdown of every issued invoice of the quote, net of credit notes."""
    return billing.invoiced_figures(quote)


def issue_choice(quote, choice, owner):
    return billing.issue_from_quote(quote, choice, user=owner, today=DAY)


def xml_of(invoice):
    return bytes(invoice.files.xml)


def test_quote_figures_follow_discounts(accepted_quote):
    figures = quote_figures(accepted_quote)
    assert total_of(figures) == accepted_quote.total_with_vat
    assert sum((a.base for a in figures.values()), D("0")) == accepted_quote.total_without_vat


def test_full_invoice_equals_the_quote(accepted_quote, owner):
    invoice = issue_choice(accepted_quote, BillingChoice(BillingKind.FULL), owner)
    assert invoice.total_with_vat == accepted_quote.total_with_vat
    assert invoice.total_vat == accepted_quote.total_vat
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.INVOICED
    assert validate_cii(xml_of(invoice)).ok


def test_deposit_invoice_type_and_lines(accepted_quote, owner):
    invoice = issue_choice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("30")), owner)
    assert invoice.type_code == DocumentType.DEPOSIT_INVOICE
    names = [line.name for line in invoice.lines.all()]
    assert names == ["Acompte de 30\u202f% sur le devis D-2026-0001"] * 3
    assert invoice.total_with_vat == (accepted_quote.total_with_vat * D("0.30")).quantize(D("0.01"))
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.PARTIALLY_INVOICED


def test_deposit_xml_passes_the_three_layers(accepted_quote, owner):
    invoice = issue_choice(
        accepted_quote, BillingChoice(BillingKind.DEPOSIT, amount=D("1000"), including_vat=True), owner
    )
    assert invoice.total_with_vat == D("1000.00")
    report = validate_cii(xml_of(invoice))
    assert report.ok, report.messages()
    root = etree.fromstring(xml_of(invoice))
    contract = root.find(".//{%s}ContractReferencedDocument/{%s}IssuerAssignedID" % (RAM, RAM))
    assert contract.text == "D-2026-0001"


def test_sequence_ending_with_final_adds_up(accepted_quote, owner):
    deposit = issue_choice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("33")), owner)
    progress = issue_choice(accepted_quote, BillingChoice(BillingKind.PROGRESS, percent=D("33")), owner)
    final = issue_choice(accepted_quote, BillingChoice(BillingKind.FINAL), owner)

    figures = quote_figures(accepted_quote)
    assert issued_sum(accepted_quote) == figures
    total = deposit.total_with_vat + progress.total_with_vat + final.total_with_vat
    assert total == accepted_quote.total_with_vat
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.INVOICED


def test_final_invoice_deducts_and_references_earlier_invoices(accepted_quote, owner):
    deposit = issue_choice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("66")), owner)
    final = issue_choice(accepted_quote, BillingChoice(BillingKind.FINAL), owner)

    names = [line.name for line in final.lines.all()]
    assert "Déduction facture d'acompte %s du 04/12/2026" % deposit.number in names
    document = InvoiceDocument.from_json(final.document)
    assert document.business_process == "S4"
    assert [ref.number for ref in document.deducted_invoices] == [deposit.number]
    assert document.prepaid == D("0")

    report = validate_cii(xml_of(final))
    assert report.ok, report.messages()
    root = etree.fromstring(xml_of(final))
    references = root.findall(".//{%s}InvoiceReferencedDocument/{%s}IssuerAssignedID" % (RAM, RAM))
    assert [element.text for element in references] == [deposit.number]


def test_progress_invoice_xml_and_lines(accepted_quote, owner):
    invoice = issue_choice(accepted_quote, BillingChoice(BillingKind.PROGRESS, percent=D("50")), owner)
    assert invoice.type_code == DocumentType.INVOICE
    first = invoice.lines.first()
    assert "Avancement cumulé 50\u202f%" in first.description
    assert first.unit_price == D("406.250000")
    report = validate_cii(xml_of(invoice))
    assert report.ok, report.messages()


def test_progress_per_line_keeps_each_line_state(accepted_quote, owner):
    lines = list(accepted_quote.lines.all())
    first = BillingChoice(BillingKind.PROGRESS, line_percents={lines[0].pk: D("40"), lines[1].pk: D("0")})
    issue_choice(accepted_quote, first, owner)
    second = BillingChoice(BillingKind.PROGRESS, line_percents={lines[0].pk: D("100"), lines[1].pk: D("50")})
    invoice = issue_choice(accepted_quote, second, owner)
    amounts = [line.unit_price for line in invoice.lines.all()]
    assert amounts[0] == D("487.500000")  # 60 % of 812,50 €
    link = QuoteInvoice.objects.get(invoice=invoice)
    assert link.per_line is True
    assert [row["percent"] for row in link.progress[:3]] == ["100", "50", "0"]


def test_progress_going_back_is_rejected(accepted_quote, owner):
    issue_choice(accepted_quote, BillingChoice(BillingKind.PROGRESS, percent=D("60")), owner)
    with pytest.raises(QuoteError) as error:
        billing.plan(accepted_quote, BillingChoice(BillingKind.PROGRESS, percent=D("40")))
    assert "inférieur à celui déjà facturé" in error.value.message


def test_credit_note_reduces_what_was_invoiced(accepted_quote, owner):
    deposit = issue_choice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("30")), owner)
    credit_note = issue_invoice(create_credit_note(deposit, user=owner), user=owner, today=DAY)

    assert all(amounts.base == 0 for amounts in billing.invoiced_figures(accepted_quote).values())
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.ACCEPTED

    final = issue_choice(accepted_quote, BillingChoice(BillingKind.FINAL), owner)
    assert not any(line.name.startswith("Déduction") for line in final.lines.all())
    assert final.total_with_vat + deposit.total_with_vat - credit_note.total_with_vat == accepted_quote.total_with_vat


def test_partial_credit_note_then_final_stays_exact(accepted_quote, owner):
    deposit = issue_choice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("40")), owner)
    # Half of the deposit's first line: credit note quantities are keyed by line rank, not by id.
    credit_note = create_credit_note(deposit, {1: D("0.5")}, user=owner)
    credit_note = issue_invoice(credit_note, user=owner, today=DAY)

    final = issue_choice(accepted_quote, BillingChoice(BillingKind.FINAL), owner)
    assert "Montant restant après les avoirs %s" % credit_note.number in [
        line.description for line in final.lines.all()
    ]
    assert issued_sum(accepted_quote) == quote_figures(accepted_quote)
    assert validate_cii(xml_of(final)).ok


def test_stale_draft_cannot_be_issued(accepted_quote, owner):
    draft = billing.create_invoice(accepted_quote, BillingChoice(BillingKind.FINAL), user=owner)
    issue_choice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("10")), owner)
    with pytest.raises(InvoicingError) as error:
        issue_invoice(draft, user=owner, today=DAY)
    assert any("depuis la création de ce brouillon" in detail for detail in error.value.details)


def test_draft_raised_above_the_quote_cannot_be_issued(accepted_quote, owner):
    draft = billing.create_invoice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("50")), user=owner)
    line = draft.lines.first()
    line.unit_price = D("100000")
    line.save()
    with pytest.raises(InvoicingError) as error:
        issue_invoice(draft, user=owner, today=DAY)
    assert any("il ne reste que" in detail for detail in error.value.details)


def test_quote_not_accepted_cannot_be_invoiced(organisation, customer):
    quote = save_draft(
        Quote(organisation=organisation, customer=customer),
        [QuoteLine(name="Audit", quantity=D("1"), unit_price=D("100"), vat_rate=D("20"))],
    )
    with pytest.raises(QuoteError) as error:
        billing.plan(quote, BillingChoice(BillingKind.FULL))
    assert "seul un devis accepté" in error.value.message


def test_invoiced_quote_cannot_be_invoiced_again(accepted_quote, owner):
    issue_choice(accepted_quote, BillingChoice(BillingKind.FULL), owner)
    accepted_quote.refresh_from_db()
    with pytest.raises(QuoteError) as error:
        billing.plan(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("10")))
    assert "déjà entièrement facturé" in error.value.message


def test_deleted_draft_takes_its_link(accepted_quote, owner):
    from ardoise.invoicing.services import delete_draft

    draft = billing.create_invoice(accepted_quote, BillingChoice(BillingKind.FULL), user=owner)
    delete_draft(draft, user=owner)
    assert not QuoteInvoice.objects.filter(quote=accepted_quote).exists()


def test_billing_is_audited(accepted_quote, owner):
    issue_choice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("30")), owner)
    actions = list(
        AuditEntry.objects.filter(object_type="quote", object_id=str(accepted_quote.pk)).values_list(
            "action", flat=True
        )
    )
    assert "quote.invoice_created" in actions
    assert "quote.partially_invoiced" in actions


def test_auto_deposit_on_acceptance_issues_and_queues_email(organisation, customer):
    quote = Quote(
        organisation=organisation, customer=customer, deposit_percent=D("30"), auto_deposit_on_acceptance=True
    )
    quote = save_draft(quote, [QuoteLine(name="Audit", quantity=D("2"), unit_price=D("500"), vat_rate=D("20"))])
    quote = accept(issue(quote, today=DAY), name="Client en ligne", evidence={"channel": "portal"})

    invoice = billing.create_deposit_on_acceptance(quote)

    assert invoice is not None
    assert invoice.number
    assert invoice.total_with_vat == D("360.00")
    assert OutboundEmail.objects.filter(invoice=invoice).count() == 1


def test_no_auto_deposit_without_the_setting(accepted_quote):
    assert billing.create_deposit_on_acceptance(accepted_quote) is None
    assert not Invoice.objects.filter(quote_link__quote=accepted_quote).exists()


def test_billed_invoices_lists_issued_only(accepted_quote, owner):
    billing.create_invoice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("10")), user=owner)
    assert billed_invoices(accepted_quote) == []


def pdf_text(invoice):
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(invoice.files.pdf))).pages)


def test_pdf_shows_the_quote_and_the_deducted_invoices(accepted_quote, owner):
    deposit = issue_choice(accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=D("30")), owner)
    final = issue_choice(accepted_quote, BillingChoice(BillingKind.FINAL), owner)

    deposit_text = pdf_text(deposit)
    final_text = pdf_text(final)
    assert "D-2026-0001" in deposit_text
    assert "Facture d'acompte" in deposit_text
    assert "Factures déduites" in final_text
    assert "%s du 04/12/2026" % deposit.number in final_text
    assert "Déduction facture d'acompte %s" % deposit.number in final_text
