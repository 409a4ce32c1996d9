"""The SEPA QR code on issued invoices: in the stored PDF, at the amount due, and on the page, at the balance."""

import base64
import datetime
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.services import record_payment
from tests.core.qr_reader import pdf_matrices, read_qr, svg_matrix

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 4)
PAYMENT_DAY = datetime.date(2026, 12, 8)
CAPTION = "Scannezavecl'applicationdevotrebanquepourpré-remplirlevirement"
QR_IMAGE = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"')


@pytest.fixture(autouse=True)
def frozen_day():
    """Payments are recorded on 8 December, so the tests run on the 10th, in Paris."""
    with time_machine.travel(datetime.datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        yield


def pdf_payloads(pdf: bytes) -> list[str]:
    payloads = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for matrix in pdf_matrices(page.get_contents().get_data().decode("latin-1")):
            payloads.append(read_qr(matrix).data.decode("utf-8"))
    return payloads


def pdf_text(pdf: bytes) -> str:
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def page_payloads(html: str) -> list[str]:
    """Read the QR codes of a page's data: URI images."""
    return [
        read_qr(svg_matrix(base64.b64decode(encoded).decode("utf-8"), border=4)).data.decode("utf-8")
        for encoded, _alt in QR_IMAGE.findall(html)
    ]


def detail(client, invoice) -> str:
    return client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()


# The issued PDF


def test_issued_pdf_carries_qr_code_of_amount_due(issued_invoice):
    pdf = bytes(issued_invoice.files.pdf)

    assert pdf_payloads(pdf) == [
        "BCD\n002\n1\nSCT\nAGRIFRPP\nAtelier Dupont SARL\nFR7630006000011234567890189\nEUR1065.00\n\n\nF-2026-0001"
    ]
    assert CAPTION in pdf_text(pdf)


def test_issued_credit_note_pdf_has_no_qr_code(issued_invoice):
    credit_note = issue_invoice(create_credit_note(issued_invoice), today=DAY)

    pdf = bytes(credit_note.files.pdf)

    assert pdf_payloads(pdf) == []
    assert CAPTION not in pdf_text(pdf)


def test_draft_preview_has_no_qr_code(owner_client, draft_invoice):
    response = owner_client.get(reverse("invoicing:preview", args=[draft_invoice.pk]))

    assert response.status_code == 200
    assert pdf_payloads(response.content) == []
    assert CAPTION not in pdf_text(response.content)


def test_payment_leaves_issued_pdf_unchanged(owner_client, issued_invoice):
    before = bytes(issued_invoice.files.pdf)
    record_payment(issued_invoice, Decimal("400.00"), PAYMENT_DAY)

    response = owner_client.get(reverse("invoicing:pdf", args=[issued_invoice.pk]))

    assert response.content == before
    assert pdf_payloads(response.content)[0].split("\n")[7] == "EUR1065.00"


# The invoice page


def test_page_shows_qr_code_of_balance(owner_client, issued_invoice):
    html = detail(owner_client, issued_invoice)

    assert page_payloads(html) == [
        "BCD\n002\n1\nSCT\nAGRIFRPP\nAtelier Dupont SARL\nFR7630006000011234567890189\nEUR1065.00\n\n\nF-2026-0001"
    ]
    alt = QR_IMAGE.search(html).group(2)
    assert alt == (
        "QR code de virement SEPA : 1\u202f065,00\u00a0€ sur l&#x27;IBAN FR76 3000 6000 0112 3456 7890 189, "
        "référence F-2026-0001"
    )


def test_page_qr_code_follows_payments(owner_client, issued_invoice):
    record_payment(issued_invoice, Decimal("400.00"), PAYMENT_DAY)

    payloads = page_payloads(detail(owner_client, issued_invoice))

    assert [payload.split("\n")[7] for payload in payloads] == ["EUR665.00"]


def test_page_qr_code_follows_credit_notes(owner_client, issued_invoice):
    # Line 1 is 12.5 h of web development at 65 €.
    issue_invoice(create_credit_note(issued_invoice, quantities={1: Decimal("2.5")}), today=DAY)

    payloads = page_payloads(detail(owner_client, issued_invoice))

    # 2.5 h at 65 € + 20 % VAT = 195.00 € credited.
    assert [payload.split("\n")[7] for payload in payloads] == ["EUR870.00"]


def test_paid_invoice_page_has_no_qr_code(owner_client, issued_invoice):
    record_payment(issued_invoice, Decimal("1065.00"), PAYMENT_DAY)

    html = detail(owner_client, issued_invoice)

    assert page_payloads(html) == []
    assert "data:image/svg+xml" not in html


def test_credit_note_page_has_no_qr_code(owner_client, issued_invoice):
    record_payment(issued_invoice, Decimal("1065.00"), PAYMENT_DAY)
    credit_note = issue_invoice(create_credit_note(issued_invoice), today=DAY)

    assert "data:image/svg+xml" not in detail(owner_client, credit_note)


def test_draft_page_has_no_qr_code(owner_client, draft_invoice):
    assert "data:image/svg+xml" not in detail(owner_client, draft_invoice)


def test_page_qr_code_allowed_by_csp(owner_client, issued_invoice):
    response = owner_client.get(reverse("invoicing:detail", args=[issued_invoice.pk]))

    img_src = re.search(r"img-src ([^;]+)", response["Content-Security-Policy"]).group(1).split()
    assert "data:" in img_src


def test_outsider_cannot_see_qr_code(outsider_client, issued_invoice):
    response = outsider_client.get(reverse("invoicing:detail", args=[issued_invoice.pk]))

    assert response.status_code == 404
