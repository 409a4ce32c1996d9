"""The quote PDF: invoice layout, validity, conditions, « Bon pour accord », and user text printed as text."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from ardoise.quotes.models import Quote, QuoteKind, QuoteLine
from ardoise.quotes.services import issue, save_draft
from tests.pdf.pages import lowest_text

from .conftest import ISSUE_DAY

pytestmark = pytest.mark.django_db

MARKUP = "#set page(fill: red) *gras* $x^2$ ] <script>alert(1)</script> #emph[non]"


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_quote_pdf_has_acceptance_block(issued_quote):
    text = pdf_text(issued_quote.issued_pdf())

    assert "Devis" in text
    assert "D-2026-0001" in text
    assert "Valable jusqu'au" in text
    assert "03/01/2027" in text
    assert "Travaux réalisés sous quatre semaines." in text
    assert "BON POUR ACCORD" in text
    assert "Signature et cachet" in text
    assert "Net à payer" not in text
    assert squeeze(text).count("Total TTC") == 1


def test_quote_pdf_is_pdfa_without_xml(issued_quote):
    reader = PdfReader(io.BytesIO(issued_quote.issued_pdf()))

    assert list(reader.attachments) == []
    assert b"pdfaid" in issued_quote.issued_pdf()


def test_user_markup_printed_as_text(organisation, customer):
    quote = Quote(organisation=organisation, customer=customer, notes=MARKUP, conditions=MARKUP)
    line = QuoteLine(name=MARKUP[:200], description=MARKUP, quantity=Decimal("1"), unit_price=Decimal("100"))
    quote = issue(save_draft(quote, [line]), today=ISSUE_DAY)

    text = squeeze(pdf_text(quote.issued_pdf()))

    assert text.count("#set page(fill: red)") >= 4
    assert "*gras*" in text
    assert "$x^2$" in text
    assert "<script>alert(1)</script>" in text
    assert "#emph[non]" in text


def test_proforma_pdf_title_and_no_acceptance(organisation, customer):
    quote = Quote(organisation=organisation, customer=customer, kind=QuoteKind.PROFORMA)
    line = QuoteLine(name="Matériel", quantity=Decimal("1"), unit_price=Decimal("900"))
    quote = issue(save_draft(quote, [line]), today=ISSUE_DAY)

    text = pdf_text(quote.issued_pdf())

    assert "Facture pro forma" in text
    assert "PF-2026-0001" in text
    assert "ne permet pas de déduire la TVA" in text
    assert "BON POUR ACCORD" not in text


def test_revision_pdf_names_previous(issued_quote):
    from ardoise.quotes.services import revise

    revision = issue(revise(issued_quote), today=ISSUE_DAY)

    text = squeeze(pdf_text(revision.issued_pdf()))
    assert "2 (remplace D-2026-0001)" in text


def test_deposit_printed_in_conditions(organisation, customer):
    quote = Quote(organisation=organisation, customer=customer, deposit_percent=Decimal("30"))
    line = QuoteLine(name="Chantier", quantity=Decimal("1"), unit_price=Decimal("1000"))
    quote = issue(save_draft(quote, [line]), today=ISSUE_DAY)

    text = squeeze(pdf_text(quote.issued_pdf()))
    assert "Acompte de 30" in text
    assert "360,00" in text


def test_general_terms_flow_over_pages(draft_quote):
    # Many businesses print their general terms of sale in a quote's conditions: several pages.
    terms = "\n".join("Article %d. Toute commande vaut acceptation des conditions." % n for n in range(1, 120))
    draft_quote.conditions = terms
    draft_quote.save(update_fields=["conditions"])

    pdf = issue(draft_quote, today=ISSUE_DAY).issued_pdf()

    assert lowest_text(pdf) > 0
    assert "Article 119." in pdf_text(pdf)
    assert "BON POUR ACCORD" in pdf_text(pdf)
