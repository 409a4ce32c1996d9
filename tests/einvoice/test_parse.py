"""Reading CII and Factur-X files: content, totals against the money module, bad input."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal
from io import BytesIO

import facturx
import pytest
from pypdf import PdfWriter

from ardoise.core.document import DocumentLine
from ardoise.core.money import Adjustment, VatKey
from ardoise.einvoice import (
    InvoiceFileError,
    build_cii_xml,
    document_from_parsed,
    parse_invoice_file,
    total_differences,
    validate_cii,
)
from ardoise.einvoice.reader import rebuild_line

D = Decimal

FILES_WITH_LINES = [
    "factur-x-basic.xml",
    "factur-x-en16931.xml",
    "factur-x-extended.xml",
    "CII_business_example_02.xml",
    "CII_example3.xml",
    "CII_example4.xml",
    "CII_example6.xml",
    "CII_example7.xml",
]

# These CEN examples state line net amounts (BT-131) that contradict their own
# quantity, net price, base quantity and line charges (BR-LIN-04). The reader
# keeps the stated amounts, rebuilds those lines and warns about each one.
INCONSISTENT_LINES = {
    # line 20 states -109.98 for 6 x 18.33, both positive
    "CII_example1.xml": ["20"],
    # every line states BT-149 equal to its net price, and BT-131 as if BT-149 were 1
    "CII_example2.xml": ["1", "2", "3", "4", "5"],
    "CII_business_example_01.xml": ["1", "2", "3", "4", "5"],
    # BT-131 is quantity x net price minus the line charge (BG-28) instead of plus
    "XRechnung-O.xml": ["1", "2"],
}

FILES_WITHOUT_LINES = ["factur-x-minimum.xml", "factur-x-basicwl.xml"]


def blank_pdf(attachment: tuple[str, bytes] | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if attachment is not None:
        writer.add_attachment(*attachment)
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.fixture
def sample(reference_bytes) -> bytes:
    return reference_bytes("factur-x-en16931.xml")


def parse_error(data: bytes, filename: str) -> str:
    with pytest.raises(InvoiceFileError) as caught:
        parse_invoice_file(data, filename)
    assert caught.value.filename == filename
    return caught.value.message


@pytest.mark.parametrize("name", FILES_WITH_LINES)
def test_reference_totals_match_money_module(reference_bytes, name):
    parsed = parse_invoice_file(reference_bytes(name), name)

    doc = document_from_parsed(parsed)

    assert total_differences(parsed.totals, doc.totals()) == {}
    assert [p.line.net_amount for p in parsed.lines] == list(doc.totals().line_amounts)


@pytest.mark.parametrize("name", INCONSISTENT_LINES)
def test_inconsistent_lines_keep_stated_amounts(reference_bytes, name):
    parsed = parse_invoice_file(reference_bytes(name), name)

    doc = document_from_parsed(parsed)

    assert total_differences(parsed.totals, doc.totals()) == {}
    assert [p.line.net_amount for p in parsed.lines] == list(doc.totals().line_amounts)


@pytest.mark.parametrize("name", INCONSISTENT_LINES)
def test_inconsistent_lines_are_rebuilt_with_warning(reference_bytes, name):
    parsed = parse_invoice_file(reference_bytes(name), name)

    rebuilt = [p for p in parsed.lines if any(w.startswith("Ligne %s :" % p.line_id) for w in parsed.warnings)]

    assert [p.line_id for p in rebuilt] == INCONSISTENT_LINES[name]
    for parsed_line in rebuilt:
        assert parsed_line.line.base_quantity == D("1")
        assert parsed_line.line.net_price >= 0
        assert parsed_line.line.gross_price is None


def test_inconsistent_negative_line_negates_quantity(reference_bytes):
    parsed = parse_invoice_file(reference_bytes("CII_example1.xml"), "CII_example1.xml")

    line = parsed.lines[19].line
    warning = next(w for w in parsed.warnings if w.startswith("Ligne 20 :"))

    assert (line.quantity, line.net_price, line.net_amount) == (D("-6"), D("18.33"), D("-109.98"))
    assert "montant HT de -109,98\u00a0€" in warning
    assert "donnent 109,98\u00a0€" in warning
    assert "quantité -6" in warning


def test_inconsistent_line_charge_is_kept(reference_bytes):
    parsed = parse_invoice_file(reference_bytes("XRechnung-O.xml"), "XRechnung-O.xml")

    line = parsed.lines[0].line

    assert line.net_price == D("67759.88")
    assert [c.amount for c in line.charges] == [D("15894.27")]
    assert line.to_money_line().net_amount() == D("83654.15")


@pytest.mark.parametrize("name", FILES_WITHOUT_LINES)
def test_profile_without_lines_is_read_and_says_so(reference_bytes, name):
    parsed = parse_invoice_file(reference_bytes(name), name)

    assert not parsed.has_lines
    assert parsed.number == "F20260023"
    assert parsed.totals.tax_exclusive == D("100.00")
    assert parsed.totals.due == D("104.90")
    assert "qui ne contient pas le détail des lignes" in parsed.warnings[0]


def test_minimum_profile_cannot_be_rebuilt(reference_bytes):
    parsed = parse_invoice_file(reference_bytes("factur-x-minimum.xml"), "factur-x-minimum.xml")

    with pytest.raises(InvoiceFileError) as caught:
        document_from_parsed(parsed)

    assert "ne détaille ni les lignes ni la TVA par taux" in caught.value.message
    assert "MINIMUM" in caught.value.message


def test_basic_wl_is_rebuilt_from_vat_breakdown(reference_bytes):
    parsed = parse_invoice_file(reference_bytes("factur-x-basicwl.xml"), "factur-x-basicwl.xml")

    computed = document_from_parsed(parsed).totals()

    assert total_differences(parsed.totals, computed) == {}
    # One line per VAT group: its base with the group's allowances added back and charges taken off.
    assert list(computed.line_amounts) == [D("7.00"), D("60.00"), D("28.00"), D("0.00")]
    assert computed.line_total == D("95.00")


def test_basic_wl_rebuild_finds_wrong_vat(reference_bytes):
    xml = reference_bytes("factur-x-basicwl.xml").replace(
        b"<ram:CalculatedAmount>2.20</ram:CalculatedAmount>", b"<ram:CalculatedAmount>2.30</ram:CalculatedAmount>", 1
    )
    parsed = parse_invoice_file(xml, "factur-x-basicwl.xml")

    differences = total_differences(parsed.totals, document_from_parsed(parsed).totals())

    assert differences["BT-117 S 20"] == (D("2.30"), D("2.20"))


def test_sample_round_trip_passes_three_layers(sample):
    parsed = parse_invoice_file(sample, "factur-x-en16931.xml")

    xml = build_cii_xml(document_from_parsed(parsed))
    report = validate_cii(xml)
    rebuilt = parse_invoice_file(xml, "rebuilt.xml")

    assert report.layers == ("xsd", "en16931", "br-fr")
    assert report.errors == ()
    assert rebuilt.totals.as_bt_dict() == parsed.totals.as_bt_dict()
    assert set(rebuilt.totals.breakdown) == set(parsed.totals.breakdown)


def test_sample_totals_are_read(sample):
    totals = parse_invoice_file(sample, "factur-x-en16931.xml").totals

    assert totals.as_bt_dict() == {
        "BT-106": D("95.00"),
        "BT-107": D("9.00"),
        "BT-108": D("14.00"),
        "BT-109": D("100.00"),
        "BT-110": D("4.90"),
        "BT-112": D("104.90"),
        "BT-113": D("0.00"),
        "BT-114": D("0.00"),
        "BT-115": D("104.90"),
    }
    assert [(row.key, row.taxable_amount, row.tax_amount) for row in totals.breakdown] == [
        (VatKey("S", D("20")), D("11.00"), D("2.20")),
        (VatKey("E", D("0")), D("60.00"), D("0.00")),
        (VatKey("S", D("10")), D("27.00"), D("2.70")),
        (VatKey("K", D("0")), D("2.00"), D("0.00")),
    ]


def test_sample_parties_are_read(sample):
    parsed = parse_invoice_file(sample, "factur-x-en16931.xml")

    assert parsed.seller.name == "LE FOURNISSEUR"
    assert parsed.seller.siren == "123456782"
    assert parsed.seller.siret == "12345678200077"
    assert parsed.seller.vat_number == "FR11123456782"
    assert parsed.seller.trading_name == "SELLER TRADE NAME"
    assert parsed.seller.electronic_address == "moi@seller.com"
    assert parsed.seller.electronic_address_scheme == "EM"
    assert parsed.seller.email == "seller@seller.com"
    assert parsed.seller.phone == "01 02 03 54 87"
    assert parsed.seller.address.line1 == "35 rue d'ici"
    assert parsed.seller.address.postcode == "75018"
    assert parsed.seller.address.city == "PARIS"
    assert parsed.seller_legal_info == "SARL AU CAPITAL DE 50 000 EUROS"
    assert parsed.buyer.name == "LE CLIENT"
    assert parsed.buyer.siren == "987654321"
    assert parsed.buyer.vat_number == "FR 05 987 654 321"
    assert parsed.delivery_address is not None
    assert parsed.delivery_address.city == "NICE"


def test_sample_header_terms_are_read(sample):
    parsed = parse_invoice_file(sample, "factur-x-en16931.xml")

    assert (parsed.source, parsed.profile, parsed.number, parsed.type_code) == ("xml", "en16931", "F20260023", "380")
    assert parsed.issue_date == datetime.date(2026, 1, 31)
    assert parsed.due_date == datetime.date(2026, 3, 2)
    assert parsed.delivery_date == datetime.date(2026, 1, 28)
    assert (parsed.period_start, parsed.period_end) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    assert parsed.currency == "EUR"
    assert parsed.business_process == "S1"
    assert parsed.buyer_reference == "SERVEXEC"
    assert parsed.purchase_order == "PO201925478"
    assert parsed.contract_reference == "CT2018120802"
    assert (parsed.preceding_invoice, parsed.preceding_invoice_date) == ("F20260003", datetime.date(2026, 1, 1))
    assert [note.subject_code for note in parsed.notes] == ["REG", "ABL", "AAI", "PMD", "PMT", "AAB"]
    assert parsed.payment_means_code == "30"
    assert parsed.iban == "FR20 1254 2547 2569 8542 5874 698"
    assert parsed.bic == "BIC_MONCOMPTE"
    assert parsed.payment_reference == "F20260023BUYER"
    assert parsed.payment_terms == "PAIEMENT 30 JOURS NET"
    assert (parsed.prepaid, parsed.rounding) == (D("0.00"), D("0.00"))
    assert [(e.category, e.reason, e.reason_code) for e in parsed.vat_exemptions] == [
        ("E", "DEBOURS", "VATEX-EU-79-C"),
        ("K", "LIVRAISON INTRACOMMUNAUTAIRE", "VATEX-EU-IC"),
    ]


def test_sample_lines_are_read(sample):
    parsed = parse_invoice_file(sample, "factur-x-en16931.xml")

    first, second, third = parsed.lines
    assert (first.line_id, first.note) == ("1", "DONT 0,50 EUR de DEEE")
    assert first.line.name == "PRESTATION SUPPORT"
    assert first.line.seller_item_id == "ART_1254"
    assert (first.line.gross_price, first.line.net_price) == (D("65.0000"), D("60.0000"))
    assert (first.line.quantity, first.line.unit_code, first.line.unit_label) == (D("1.0000"), "C62", "unité")
    assert (first.line.vat_category, first.line.vat_rate) == ("E", D("0.00"))
    assert first.line.net_amount == D("60.00")
    assert first.line.allowances[0] == Adjustment(
        amount=D("1.00"), percent=D("1.00"), base=D("100.00"), reason="REMISE VOLUME", reason_code="71"
    )
    assert len(first.line.allowances) == 4
    assert [c.reason for c in first.line.charges] == ["FRAIS PALETTE"] * 4
    assert all(c.is_charge for c in first.line.charges)
    assert second.line.base_quantity == D("3.0000")
    assert (second.line.vat_category, second.line.vat_rate) == ("S", D("10.00"))
    assert third.line.net_amount == D("7.00")
    assert [a.vat for a in parsed.allowances] == [VatKey("S", D("20"))] * 3 + [VatKey("S", D("10"))]
    assert [c.vat for c in parsed.charges] == [
        VatKey("S", D("20")),
        VatKey("S", D("20")),
        VatKey("K", D("0")),
        VatKey("S", D("10")),
    ]


def test_facturx_pdf_is_read(sample):
    pdf = facturx.generate_from_binary(blank_pdf(), sample)

    parsed = parse_invoice_file(pdf, "facture.pdf")

    assert parsed.source == "pdf"
    assert parsed.number == "F20260023"
    assert parsed.warnings == ()


def test_pdf_other_xml_name_warns(sample):
    parsed = parse_invoice_file(blank_pdf(("zugferd-invoice.xml", sample)), "facture.pdf")

    assert parsed.number == "F20260023"
    assert parsed.warnings == (
        "La pièce jointe XML du PDF s'appelle « zugferd-invoice.xml » au lieu de « factur-x.xml ».",
    )


def test_pdf_without_facturx_xml_is_rejected():
    message = parse_error(blank_pdf(), "x.pdf")

    assert message == (
        "Le fichier « x.pdf » ne contient pas de XML Factur-X (pièce jointe factur-x.xml absente). "
        "Exportez la facture au format Factur-X ou CII puis réessayez."
    )


def test_neither_xml_nor_pdf_is_rejected():
    message = parse_error(b"Bonjour, voici ma facture.", "facture.txt")

    assert message == (
        "Le fichier « facture.txt » n'est ni un PDF ni un XML. "
        "Importez une facture au format Factur-X (PDF), CII ou UBL (XML)."
    )


def test_malformed_xml_is_rejected():
    message = parse_error(b"<rsm:CrossIndustryInvoice><oops>", "coupe.xml")

    assert message.startswith("Le fichier « coupe.xml » n'est pas un XML valide : il est mal formé ou incomplet")
    assert "vers la ligne 1, colonne" in message


def test_doctype_is_rejected():
    xml = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'

    message = parse_error(xml, "piege.xml")

    assert "contient une déclaration DOCTYPE, refusée pour des raisons de sécurité" in message


def test_external_entity_is_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mot-de-passe-root")
    xml = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]><x>&s;</x>'.encode()

    message = parse_error(xml, "xxe.xml")

    assert "DOCTYPE" in message
    assert "mot-de-passe-root" not in message


def test_entity_expansion_is_rejected_quickly():
    # Nine levels of ten references each: a billion copies of "rire" if expanded.
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY l0 "rire">{entities}]><x>&l9;</x>'.encode()

    started = time.monotonic()
    message = parse_error(xml, "rires.xml")

    assert "DOCTYPE" in message
    assert time.monotonic() - started < 1


def test_doctype_in_utf16_is_rejected():
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'.encode("utf-16")

    message = parse_error(xml, "utf16.xml")

    assert "DOCTYPE" in message


def test_doctype_inside_pdf_attachment_is_rejected():
    xml = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'

    message = parse_error(blank_pdf(("factur-x.xml", xml)), "facture.pdf")

    assert "DOCTYPE" in message


def test_ubl_invoice_without_profile_is_rejected():
    xml = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'

    message = parse_error(xml, "ubl.xml")

    assert message == (
        "Le fichier « ubl.xml » n'indique pas un profil de facture connu (BT-24, « — ») : seuls les profils "
        "Factur-X et EN 16931 sont pris en charge. Demandez à l'émetteur la facture au profil EN 16931."
    )


def test_wrong_root_is_rejected():
    message = parse_error(b"<html><body>Facture</body></html>", "page.html")

    assert message == (
        "Le fichier « page.html » n'est pas une facture : son élément racine est « html » au lieu de "
        "« CrossIndustryInvoice » (CII), « Invoice » ou « CreditNote » (UBL). "
        "Importez une facture au format Factur-X, CII ou UBL."
    )


def test_unknown_profile_is_rejected(sample):
    xml = sample.replace(b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>", b"<ram:ID>urn:example:inconnu</ram:ID>")

    message = parse_error(xml, "profil.xml")

    assert "n'indique pas un profil de facture connu (BT-24, « urn:example:inconnu »)" in message


def test_missing_invoice_number_is_rejected(sample):
    xml = sample.replace(b"<ram:ID>F20260023</ram:ID>", b"")

    message = parse_error(xml, "sans-numero.xml")

    assert message == (
        "Le fichier « sans-numero.xml » n'indique pas le numéro de facture (BT-1), obligatoire dans une "
        "facture. Le fichier est incomplet : demandez à l'émetteur une facture conforme."
    )


def test_missing_line_name_names_the_line(sample):
    xml = sample.replace(b"<ram:Name>APPEL</ram:Name>", b"")

    message = parse_error(xml, "ligne.xml")

    assert "n'indique pas la désignation (BT-153) (ligne 3)" in message


def test_unreadable_amount_is_rejected(sample):
    xml = sample.replace(
        b"<ram:LineTotalAmount>28.00</ram:LineTotalAmount>", b"<ram:LineTotalAmount>28,00</ram:LineTotalAmount>"
    )

    message = parse_error(xml, "virgule.xml")

    assert "valeur illisible pour le montant HT de la ligne (BT-131) : « 28,00 » n'est pas un nombre" in message


def test_unreadable_date_is_rejected(sample):
    xml = sample.replace(b">20260131</udt:DateTimeString>", b">31/01/2026</udt:DateTimeString>", 1)

    message = parse_error(xml, "date.xml")

    assert message.startswith("Le fichier « date.xml » contient une valeur illisible : ")


def inconsistent_line(**fields) -> DocumentLine:
    values = dict(
        name="Article",
        quantity=D("3"),
        unit_code="C62",
        unit_label="unité",
        net_price=D("1"),
        vat_category="S",
        vat_rate=D("20"),
        net_amount=D("10.00"),
    )
    values.update(fields)
    return DocumentLine(**values)


def test_rebuilt_price_takes_the_decimals_it_needs():
    line = rebuild_line(inconsistent_line(), 2)

    assert line.net_price == D("3.333")
    assert line.to_money_line().net_amount(2) == D("10.00")


def test_rebuilt_price_of_zero_quantity_uses_quantity_one():
    line = rebuild_line(inconsistent_line(quantity=D("0")), 2)

    assert (line.quantity, line.net_price) == (D("1"), D("10.00"))


def test_rebuilt_line_freezes_percent_allowance():
    allowance = Adjustment(percent=D("10"), reason="Remise")

    line = rebuild_line(inconsistent_line(quantity=D("1"), net_amount=D("90.00"), allowances=(allowance,)), 2)

    assert line.net_price == D("100.00")
    assert [a.amount for a in line.allowances] == [D("10.00")]
    assert line.to_money_line().net_amount(2) == D("90.00")


def test_rebuilt_line_in_yen_keeps_whole_amounts():
    line = rebuild_line(inconsistent_line(quantity=D("7"), net_amount=D("1000")), 0)

    assert line.to_money_line().net_amount(0) == D("1000")
    assert line.net_price == D("142.9")


def test_vatex_codes_are_read_upper_case(reference_bytes):
    parsed = parse_invoice_file(reference_bytes("XRechnung-O.xml"), "XRechnung-O.xml")

    assert [e.reason_code for e in parsed.vat_exemptions] == ["VATEX-EU-132-1A"]


@pytest.mark.parametrize(
    ("name", "identifiers", "registration"),
    [
        ("CII_example7.xml", (("", "5532331183"),), ("", "")),
        ("XRechnung-O.xml", (), ("XX", "0189")),
    ],
)
def test_seller_identifiers_of_other_schemes_are_kept(reference_bytes, name, identifiers, registration):
    seller = parse_invoice_file(reference_bytes(name), name).seller

    assert seller.other_identifiers == identifiers
    assert (seller.legal_registration, seller.legal_registration_scheme) == registration


def test_seller_identifiers_survive_the_snapshot(reference_bytes):
    from ardoise.core.document import InvoiceDocument

    document = document_from_parsed(parse_invoice_file(reference_bytes("CII_example7.xml"), "CII_example7.xml"))

    assert InvoiceDocument.from_json(document.to_json()) == document
