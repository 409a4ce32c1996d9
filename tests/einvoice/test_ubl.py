"""UBL 2.1 Invoice and CreditNote built from InvoiceDocument: content, validity, reading back."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
from lxml import etree
from saxonche import PySaxonProcessor

from ardoise.core.money import VatKey
from ardoise.einvoice import (
    InvoiceFileError,
    build_cii_xml,
    build_ubl_xml,
    document_from_parsed,
    parse_invoice_file,
    validate_cii,
    validate_ubl,
    validation,
)
from tests.einvoice.test_cii import CASES, kit  # noqa: F401 (kit is a fixture the cases use)

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def texts(xml: bytes, xpath: str) -> list[str]:
    """Return the text of the elements, or the values of the attributes, that ``xpath`` selects."""
    values = etree.fromstring(xml).xpath(xpath, namespaces=NS)
    return [(value.text or "") if isinstance(value, etree._Element) else str(value) for value in values]


@pytest.mark.parametrize("case", CASES)
def test_generated_ubl_passes_three_layers(kit, case):  # noqa: F811
    doc = CASES[case](kit)

    report = validate_ubl(build_ubl_xml(doc))

    assert report.layers == ("xsd", "en16931", "br-fr")
    assert report.errors == ()


@pytest.mark.parametrize("case", CASES)
def test_ubl_reads_back_like_cii(kit, case):  # noqa: F811
    doc = CASES[case](kit)

    from_ubl = parse_invoice_file(build_ubl_xml(doc), "facture-ubl.xml")
    from_cii = parse_invoice_file(build_cii_xml(doc), "facture-ubl.xml")

    assert from_ubl.totals.as_bt_dict() == doc.totals().as_bt_dict()
    assert from_ubl.totals == from_cii.totals
    assert from_ubl == from_cii


def test_invoice_root_and_header(make_document):
    xml = build_ubl_xml(make_document(business_process="S1", buyer_reference="SERVICE-ACHATS"))

    root = etree.fromstring(xml)
    assert root.tag == "{%s}Invoice" % NS["inv"]
    assert texts(xml, "/inv:Invoice/cbc:CustomizationID") == ["urn:cen.eu:en16931:2017"]
    assert texts(xml, "/inv:Invoice/cbc:ProfileID") == ["S1"]
    assert texts(xml, "/inv:Invoice/cbc:InvoiceTypeCode") == ["380"]
    assert texts(xml, "/inv:Invoice/cbc:BuyerReference") == ["SERVICE-ACHATS"]


def test_credit_note_root_and_reference(make_document):
    doc = make_document(
        number="AV-2026-0003",
        type_code="381",
        preceding_invoice="F-2026-0042",
        preceding_invoice_date=datetime.date(2026, 11, 30),
    )

    xml = build_ubl_xml(doc)

    assert etree.fromstring(xml).tag == "{%s}CreditNote" % NS["cn"]
    assert texts(xml, "/cn:CreditNote/cbc:CreditNoteTypeCode") == ["381"]
    reference = "/cn:CreditNote/cac:BillingReference/cac:InvoiceDocumentReference"
    assert texts(xml, reference + "/cbc:ID") == ["F-2026-0042"]
    assert texts(xml, reference + "/cbc:IssueDate") == ["2026-11-30"]
    assert validate_ubl(xml).errors == ()


def test_credit_note_without_invoice_reference_fails_french_rules(make_document):
    report = validate_ubl(build_ubl_xml(make_document(number="AV-2026-0004", type_code="381")))

    assert report.errors != ()
    assert {issue.layer for issue in report.errors} == {"br-fr"}


def test_notes_keep_their_subject_codes(make_document):
    xml = build_ubl_xml(make_document())

    notes = texts(xml, "/inv:Invoice/cbc:Note")
    assert notes[0] == "#PMT#Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €."
    assert [note[:5] for note in notes] == ["#PMT#", "#PMD#", "#AAB#"]


def test_foreign_currency_adds_vat_total_in_euros(make_document):
    xml = build_ubl_xml(make_document(currency="USD", vat_total_eur=Decimal("36.21")))

    assert texts(xml, "/inv:Invoice/cbc:TaxCurrencyCode") == ["EUR"]
    assert texts(xml, "/inv:Invoice/cac:TaxTotal/cbc:TaxAmount[@currencyID='EUR']") == ["36.21"]
    assert texts(xml, "/inv:Invoice/cac:TaxTotal/cbc:TaxAmount[@currencyID='USD']") == ["39.00"]


def test_foreign_currency_without_euro_vat_fails(make_document):
    report = validate_ubl(build_ubl_xml(make_document(currency="USD")))

    assert "BR-FR-CO-12" in report.rules


def test_parties_carry_identifiers_and_electronic_addresses(make_document):
    xml = build_ubl_xml(make_document())

    seller = "/inv:Invoice/cac:AccountingSupplierParty/cac:Party"
    assert texts(xml, seller + "/cbc:EndpointID") == ["732829320"]
    assert texts(xml, seller + "/cbc:EndpointID/@schemeID") == ["0225"]
    assert texts(xml, seller + "/cac:PartyIdentification/cbc:ID[@schemeID='0009']") == ["73282932000074"]
    assert texts(xml, seller + "/cac:PartyLegalEntity/cbc:CompanyID") == ["732829320"]
    assert texts(xml, seller + "/cac:PartyLegalEntity/cbc:CompanyID/@schemeID") == ["0002"]
    assert texts(xml, seller + "/cac:PartyTaxScheme/cbc:CompanyID") == ["FR44732829320"]


def test_same_document_gives_same_bytes(make_document):
    doc = make_document()

    assert build_ubl_xml(doc) == build_ubl_xml(dataclasses.replace(doc))


def test_schema_error_names_ubl(make_document):
    xml = build_ubl_xml(make_document()).replace(b"<cbc:IssueDate>", b"<cbc:Unknown/><cbc:IssueDate>", 1)

    report = validate_ubl(xml)

    assert report.layers == ("xsd",)
    assert report.errors[0].message.startswith("Le XML ne respecte pas le schéma UBL 2.1 (ligne ")


def test_cii_given_to_ubl_validation_fails_the_schema(make_document):
    report = validate_ubl(build_cii_xml(make_document()))

    assert report.layers == ("xsd",)
    assert report.rules == {"XSD"}


def test_doctype_is_rejected_before_any_layer():
    xml = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><Invoice>&e;</Invoice>'

    report = validate_ubl(xml, filename="piege.xml")

    assert report.layers == ("xml",)
    assert "DOCTYPE" in report.errors[0].message


# Every reference invoice that has lines (MINIMUM and BASIC WL have none).
REFERENCE_WITH_LINES = [
    "CII_business_example_01.xml",
    "CII_business_example_02.xml",
    "CII_example1.xml",
    "CII_example2.xml",
    "CII_example3.xml",
    "CII_example4.xml",
    "CII_example6.xml",
    "CII_example7.xml",
    "XRechnung-O.xml",
    "factur-x-basic.xml",
    "factur-x-en16931.xml",
    "factur-x-extended.xml",
]


@pytest.mark.parametrize("name", REFERENCE_WITH_LINES)
def test_reference_invoice_as_ubl_passes_like_its_cii(reference_bytes, name):
    document = document_from_parsed(parse_invoice_file(reference_bytes(name), name))
    french = document.seller.address.country_code == "FR" and document.buyer.address.country_code == "FR"

    ubl_report = validate_ubl(build_ubl_xml(document), french_rules=french)
    cii_report = validate_cii(build_cii_xml(document), french_rules=french)

    assert ubl_report.rules == cii_report.rules
    assert ubl_report.errors == ()


SVRL_FAILURES = ("{http://purl.oclc.org/dsdl/svrl}failed-assert", "{http://purl.oclc.org/dsdl/svrl}successful-report")


def failures(svrl: str) -> list[tuple[str, str]]:
    """Return the (assertion id, location) of every failure in an SVRL report, sorted."""
    root = etree.fromstring(svrl.encode())
    return sorted((node.get("id", ""), node.get("location", "")) for node in root.iter(*SVRL_FAILURES))


def broken_documents(make_document, seller, build) -> list[bytes]:
    """Return one valid document and several that break EN 16931 or French rules."""
    return [
        build(make_document()),
        build(make_document()).replace(b">EUR<", b">EUX<", 1),
        build(make_document(number="F 2026.42", notes=())),
        build(make_document(seller=dataclasses.replace(seller, siren="", siret="", vat_number=""))),
        build(make_document(type_code="381")),
        build(make_document(currency="USD", iban="")),
    ]


@pytest.mark.parametrize(
    ("syntax", "layer", "path"),
    [
        ("cii", "br_fr", validation.BR_FR_XSLT_PATH),
        ("ubl", "ubl_en16931", validation.UBL_EN16931_XSLT_PATH),
        ("ubl", "ubl_br_fr", validation.UBL_BR_FR_XSLT_PATH),
    ],
)
def test_stylesheet_without_trace_finds_same_failures(make_document, seller, syntax, layer, path):
    build = build_ubl_xml if syntax == "ubl" else build_cii_xml
    processor = PySaxonProcessor(license=False)
    original = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
    validators = validation._load_validators()
    lean = getattr(validators, layer)

    found_any = False
    for xml in broken_documents(make_document, seller, build):
        expected = failures(original.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode())))
        node = validators.processor.parse_xml(xml_text=xml.decode())
        assert failures(lean.transform_to_string(xdm_node=node)) == expected
        found_any = found_any or bool(expected)
    assert found_any


def test_stylesheet_without_trace_drops_only_the_trace():
    stylesheet = validation.UBL_BR_FR_XSLT_PATH.read_text(encoding="utf-8")

    lean = validation._without_progress_output(stylesheet)

    assert "svrl:fired-rule" not in lean
    assert "svrl:active-pattern" not in lean
    assert lean.count("<svrl:failed-assert") == stylesheet.count("<svrl:failed-assert")
    assert lean.count("<xsl:template") == stylesheet.count("<xsl:template")


@pytest.mark.parametrize(
    "guideline",
    [
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
    ],
)
def test_ubl_specialisations_of_en16931_are_read(make_document, guideline):
    doc = make_document()
    xml = build_ubl_xml(doc).replace(
        b"<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>",
        b"<cbc:CustomizationID>%s</cbc:CustomizationID>" % guideline.encode(),
    )

    parsed = parse_invoice_file(xml, "peppol.xml")

    assert guideline.encode() in xml
    assert parsed.profile == "en16931"
    assert parsed.totals.as_bt_dict() == doc.totals().as_bt_dict()


@pytest.mark.parametrize(
    ("build", "currency_element"),
    [
        (build_ubl_xml, b"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"),
        (build_cii_xml, b"<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>"),
    ],
    ids=["ubl", "cii"],
)
def test_file_without_currency_is_rejected(make_document, build, currency_element):
    xml = build(make_document())
    assert currency_element in xml

    with pytest.raises(InvoiceFileError) as raised:
        parse_invoice_file(xml.replace(currency_element, b""), "sans-devise.xml")

    assert raised.value.message == (
        "Le fichier « sans-devise.xml » n'indique pas la devise (BT-5), obligatoire dans une facture. "
        "Le fichier est incomplet : demandez à l'émetteur une facture conforme."
    )


def test_document_allowance_without_vat_category_is_rejected(make_document, make_adjustment):
    doc = make_document(allowances=(make_adjustment(amount="10.00", vat=VatKey("S", Decimal("20"))),))
    xml = build_ubl_xml(doc)
    category = b"<cac:TaxCategory>\n      <cbc:ID>S</cbc:ID>"
    assert category in xml

    with pytest.raises(InvoiceFileError) as raised:
        parse_invoice_file(xml.replace(category, b"<cac:TaxCategory>", 1), "remise.xml")

    assert raised.value.message == (
        "Le fichier « remise.xml » n'indique pas la catégorie de TVA (BT-95) (remise n° 1 sur le total), "
        "obligatoire dans une facture. Le fichier est incomplet : demandez à l'émetteur une facture conforme."
    )
