"""The SEPA QR code in the payment block of the invoice PDF."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from ardoise.core.sepa_qr import document_epc_payload
from ardoise.pdf.render import render_invoice_pdf
from ardoise.pdf.samples import sample_invoice
from tests.core.qr_reader import pdf_matrices, read_qr

CAPTION = "Scannez avec l'application de votre banque pour pré-remplir le virement"


def page_payloads(pdf: bytes) -> list[list[str]]:
    """Read the QR codes drawn on each page of a PDF."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return [
        [
            read_qr(matrix).data.decode("utf-8")
            for matrix in pdf_matrices(page.get_contents().get_data().decode("latin-1"))
        ]
        for page in pages
    ]


def test_pdf_draws_qr_code_of_amount_due(pdf_text, compact):
    doc = sample_invoice(1)

    pdf = render_invoice_pdf(doc, payment_qr=True)

    assert page_payloads(pdf) == [[document_epc_payload(doc)]]
    assert document_epc_payload(doc).split("\n")[7] == "EUR975.00"
    assert compact(CAPTION) in pdf_text(pdf)


def test_pdf_qr_code_asks_amount_after_deposits():
    pdf = render_invoice_pdf(sample_invoice(1, prepaid=Decimal("300.00")), payment_qr=True)

    assert page_payloads(pdf)[0][0].split("\n")[7] == "EUR675.00"


def test_pdf_without_request_has_no_qr_code(pdf_text, compact):
    pdf = render_invoice_pdf(sample_invoice(1))

    assert page_payloads(pdf) == [[]]
    assert compact(CAPTION) not in pdf_text(pdf)


@pytest.mark.parametrize(
    ("label", "changes"),
    [
        ("credit note", {"type_code": "381"}),
        ("US dollars", {"currency": "USD", "vat_total_eur": Decimal("150.00"), "exchange_rate": Decimal("0.92")}),
        ("no IBAN", {"iban": "", "bic": ""}),
        ("nothing left to pay", {"prepaid": Decimal("975.00")}),
    ],
)
def test_pdf_no_qr_code_without_transfer(label, changes, pdf_text, compact):
    pdf = render_invoice_pdf(sample_invoice(1, **changes), payment_qr=True)

    assert page_payloads(pdf) == [[]], label
    assert compact(CAPTION) not in pdf_text(pdf), label


@pytest.mark.parametrize("line_count", range(8, 16))
def test_qr_code_stays_with_payment_details(line_count, pdf_pages):
    """Around the page break the payment block moves whole: the QR code never leaves the IBAN behind."""
    pdf = render_invoice_pdf(sample_invoice(line_count), payment_qr=True)

    payloads = page_payloads(pdf)
    texts = pdf_pages(pdf)
    qr_pages = [number for number, found in enumerate(payloads) if found]
    assert len(qr_pages) == 1
    page_text = "".join(texts[qr_pages[0]].split())
    assert "FR7630006000011234567890189" in page_text.replace("\u00a0", "")
    assert "Scannezavecl'application" in page_text
