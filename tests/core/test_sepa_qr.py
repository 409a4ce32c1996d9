"""The SEPA credit-transfer QR code: EPC069-12 payload, when it applies, and the QR code that carries it.

No QR code scanner is installed with the project, so the codes are read back by
``qr_reader``, which decodes the module matrix and checks its error correction.
"""

import base64
import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ardoise.core.sepa_qr import (
    MAX_PAYLOAD_BYTES,
    document_epc_payload,
    document_epc_qr_svg,
    epc_payload,
    epc_qr,
    epc_qr_svg,
    svg_data_uri,
)
from ardoise.pdf.samples import SELLER, sample_invoice
from tests.core.qr_reader import read_qr, svg_matrix

IBAN = "FR7630006000011234567890189"
LONG_NAME = "Société Coopérative d'Intérêt Collectif « Les Ébénistes Réunis » de l'Île-de-France"


def payload(**changes):
    fields = dict(name="Atelier Dupont SARL", iban=IBAN, amount=Decimal("975.00"), remittance="F-2026-0042")
    fields.update(changes)
    return epc_payload(**fields)


def matrix_of(qr):
    return [list(row) for row in qr.matrix]


# Payload


def test_payload_elements_in_order():
    lines = payload(bic="AGRIFRPP").split("\n")

    assert lines == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "AGRIFRPP",
        "Atelier Dupont SARL",
        IBAN,
        "EUR975.00",
        "",  # purpose
        "",  # structured reference
        "F-2026-0042",  # unstructured remittance text
    ]


def test_payload_ends_with_last_element():
    assert not payload().endswith("\n")
    assert payload().endswith("\nF-2026-0042")


def test_payload_without_bic_leaves_line_empty():
    assert payload(bic="").split("\n")[4] == ""


@pytest.mark.parametrize(
    ("amount", "line"),
    [
        ("0.01", "EUR0.01"),
        ("975", "EUR975.00"),
        ("1234.5", "EUR1234.50"),
        ("1234.56", "EUR1234.56"),
        ("999999999.99", "EUR999999999.99"),
    ],
)
def test_payload_amount_has_cents_and_point(amount, line):
    assert payload(amount=Decimal(amount)).split("\n")[7] == line


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00", "0.001", "12.345", "1000000000.00"])
def test_payload_rejects_amount_outside_range(amount):
    with pytest.raises(ValueError, match="Invalid amount"):
        payload(amount=Decimal(amount))


def test_name_cut_at_70_characters_not_bytes():
    name_line = payload(name=LONG_NAME).split("\n")[5]

    assert len(LONG_NAME) > 70
    assert name_line == LONG_NAME[:70]
    assert len(name_line) == 70
    assert len(name_line.encode("utf-8")) > 70


def test_name_cut_further_to_fit_331_bytes():
    # 70 characters of 3 bytes each, and a 140-character reference, do not fit in 331 bytes.
    name = "日本語の会社" * 12
    reference = "R" * 140

    result = payload(name=name, remittance=reference, bic="AGRIFRPP")
    name_line = result.split("\n")[5]

    assert len(result.encode("utf-8")) <= MAX_PAYLOAD_BYTES
    assert name.startswith(name_line)
    assert len(name_line) < 70
    assert result.split("\n")[10] == reference


def test_line_breaks_in_text_become_spaces():
    lines = payload(name="Atelier\nDupont\r\n\tSARL", remittance="F-2026\n0042").split("\n")

    assert len(lines) == 11
    assert lines[5] == "Atelier Dupont SARL"
    assert lines[10] == "F-2026 0042"


def test_iban_and_bic_compacted_upper_case():
    lines = payload(iban="fr76 3000 6000 0112 3456 7890 189", bic=" agrifrpp ").split("\n")

    assert lines[6] == IBAN
    assert lines[4] == "AGRIFRPP"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  \n "}, "beneficiary name is empty"),
        ({"remittance": ""}, "Invalid remittance text"),
        ({"remittance": "R" * 141}, "Invalid remittance text"),
        ({"bic": "AGRIFR"}, "Invalid BIC"),
        ({"iban": "FR76"}, "Invalid IBAN"),
        ({"iban": "FR76-3000"}, "Invalid IBAN"),
    ],
)
def test_payload_rejects_invalid_element(changes, message):
    with pytest.raises(ValueError, match=message):
        payload(**changes)


# When an invoice gets a QR code


def test_document_payload_asks_amount_due():
    lines = document_epc_payload(sample_invoice(1)).split("\n")

    # 12.5 h at 65 € + 20 % VAT = 975.00 €, paid to the seller's IBAN, for invoice F-2026-0042.
    assert lines[4:8] == ["AGRIFRPP", "Atelier Dupont SARL", IBAN, "EUR975.00"]
    assert lines[10] == "F-2026-0042"


def test_document_payload_deducts_deposits():
    doc = sample_invoice(1, prepaid=Decimal("300.00"))

    assert document_epc_payload(doc).split("\n")[7] == "EUR675.00"


def test_document_payload_takes_given_amount():
    assert document_epc_payload(sample_invoice(1), Decimal("125.40")).split("\n")[7] == "EUR125.40"


def test_document_payload_uses_payment_reference():
    doc = sample_invoice(1, payment_reference="RF18539007547034")

    assert document_epc_payload(doc).split("\n")[10] == "RF18539007547034"


@pytest.mark.parametrize(
    ("label", "changes"),
    [
        ("credit note", {"type_code": "381"}),
        ("US dollars", {"currency": "USD"}),
        ("no IBAN", {"iban": ""}),
        ("nothing left to pay", {"prepaid": Decimal("975.00")}),
        ("direct debit", {"payment_means_code": "59"}),
        ("card", {"payment_means_code": "48"}),
        ("IBAN outside SEPA", {"iban": "BR1800360305000010009795493C1"}),
        ("IBAN with wrong check digits", {"iban": "FR7630006000011234567890188"}),
        ("Swiss IBAN without BIC", {"iban": "CH9300762011623852957", "bic": ""}),
    ],
)
def test_no_qr_code_without_transfer(label, changes):
    doc = sample_invoice(1, **changes)

    assert document_epc_payload(doc) is None, label
    assert document_epc_qr_svg(doc) is None, label


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-10.00"), Decimal("1000000000.00")])
def test_no_qr_code_for_amount_outside_range(amount):
    assert document_epc_payload(sample_invoice(1), amount) is None


def test_swiss_iban_with_bic_gets_qr_code():
    doc = sample_invoice(1, iban="CH9300762011623852957", bic="UBSWCHZH80A")

    assert document_epc_payload(doc).split("\n")[4:7] == ["UBSWCHZH80A", "Atelier Dupont SARL", "CH9300762011623852957"]


def test_german_iban_without_bic_gets_qr_code():
    doc = sample_invoice(1, iban="DE89370400440532013000", bic="")

    assert document_epc_payload(doc).split("\n")[4:7] == ["", "Atelier Dupont SARL", "DE89370400440532013000"]


def test_deposit_invoice_gets_qr_code():
    assert document_epc_payload(sample_invoice(1, type_code="386")) is not None


# The QR code


def test_qr_code_error_level_and_version():
    qr = epc_qr(payload())

    assert qr.error == "M"
    assert qr.version <= 13
    assert qr.mode == "byte"


def test_qr_code_reads_back_as_payload():
    text = payload(name=LONG_NAME, bic="AGRIFRPP")

    content = read_qr(matrix_of(epc_qr(text)))

    assert content.error_level == "M"
    assert content.data == text.encode("utf-8")
    assert content.data.decode("utf-8").split("\n")[5] == LONG_NAME[:70]


def test_largest_payload_fits_version_13():
    text = payload(name="日本語の会社" * 12, remittance="R" * 140, bic="AGRIFRPP", amount=Decimal("999999999.99"))

    qr = epc_qr(text)

    assert qr.version <= 13
    assert read_qr(matrix_of(qr)).data == text.encode("utf-8")


def test_svg_draws_same_modules_with_quiet_zone():
    text = payload()
    svg = epc_qr_svg(text)

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert svg_matrix(svg, border=4) == matrix_of(epc_qr(text))
    assert read_qr(svg_matrix(svg, border=4)).data == text.encode("utf-8")


def test_data_uri_carries_svg():
    svg = epc_qr_svg(payload())

    uri = svg_data_uri(svg)

    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode("utf-8") == svg


def test_document_qr_code_reads_back_as_document_payload():
    seller = dataclasses.replace(SELLER, name=LONG_NAME)
    doc = sample_invoice(3, seller=seller, number="F/2026/ÉTÉ-7", payment_reference="F/2026/ÉTÉ-7")

    data = read_qr(svg_matrix(document_epc_qr_svg(doc), border=4)).data.decode("utf-8")

    assert data == document_epc_payload(doc)
    assert data.split("\n")[7:] == ["EUR2991.00", "", "", "F/2026/ÉTÉ-7"]


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(min_size=1, max_size=120).filter(lambda text: text.strip() and any(c.isalnum() for c in text)),
    # An invoice number, the remittance text Ardoise writes, has at most 40 characters.
    remittance=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("C", "Z")), min_size=1, max_size=40),
    cents=st.integers(min_value=1, max_value=99_999_999_999),
)
def test_any_payload_fits_and_reads_back(name, remittance, cents):
    text = payload(name=name, remittance=remittance, amount=Decimal(cents) / 100, bic="AGRIFRPP")

    lines = text.split("\n")
    assert len(lines) == 11
    assert len(text.encode("utf-8")) <= MAX_PAYLOAD_BYTES
    assert 1 <= len(lines[5]) <= 70
    assert read_qr(matrix_of(epc_qr(text))).data == text.encode("utf-8")
