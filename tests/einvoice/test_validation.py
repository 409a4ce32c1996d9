"""Three-layer validation: rule ids, French messages, warnings, safety, PDF envelope."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from io import BytesIO

import facturx
import pytest
from lxml import etree
from pypdf import PdfWriter
from saxonche import PySaxonProcessor

from ardoise.core.document import VatExemption
from ardoise.einvoice import build_cii_xml, validate_cii, validate_facturx_pdf
from ardoise.einvoice.messages import explain
from ardoise.einvoice.validation import EN16931_XSLT_PATH, french_rules_apply

SVRL_FAILURES = ("{http://purl.oclc.org/dsdl/svrl}failed-assert", "{http://purl.oclc.org/dsdl/svrl}successful-report")
FRANCHISE = VatExemption("E", Decimal("0"), "TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE")


def replace_once(xml: bytes, old: str, new: str) -> bytes:
    assert xml.count(old.encode()) >= 1, f"{old!r} not in the XML"
    return xml.replace(old.encode(), new.encode(), 1)


def issue(report, rule):
    matches = [i for i in report.errors if i.rule == rule]
    assert matches, f"{rule} not among {sorted(report.rules)}"
    return matches[0]


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def pdf_with_attachment(name: str, content: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment(name, content)
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def test_valid_invoice_passes_with_only_warnings(make_document):
    report = validate_cii(build_cii_xml(make_document()))

    assert report.ok
    assert report.errors == ()
    # The mandatory delivery block is empty when there is no delivery date:
    # the EN 16931 schematron warns, which must not fail the validation.
    assert [w.rule for w in report.warnings] == ["PEPPOL-EN16931-R008"]
    assert report.warnings[0].severity == "warning"


def test_missing_seller_siren_fails_french_rules(make_document, seller):
    doc = make_document(seller=dataclasses.replace(seller, siren="", siret=""))

    report = validate_cii(build_cii_xml(doc))

    assert not report.ok
    assert report.rules == {"BR-FR-10"}
    failure = issue(report, "BR-FR-10")
    assert failure.layer == "br-fr"
    assert failure.assertion_id == "BR-FR-10_BT-30"
    assert failure.message.startswith("Le SIREN de l'entreprise est obligatoire et doit contenir 9 chiffres")
    assert failure.text.startswith("BR-FR-10/BT-30 :")
    assert failure.location == "/CrossIndustryInvoice"


def test_siret_not_starting_with_siren_fails(make_document, seller):
    doc = make_document(seller=dataclasses.replace(seller, siret="55208131766522"))

    report = validate_cii(build_cii_xml(doc))

    assert "BR-FR-09" in report.rules
    assert "commencer par les 9 chiffres du SIREN" in issue(report, "BR-FR-09").message


def test_wrong_grand_total_fails_en16931_rules(make_document):
    xml = replace_once(build_cii_xml(make_document()), "<ram:GrandTotalAmount>234.00", "<ram:GrandTotalAmount>243.00")

    report = validate_cii(xml)

    assert {"BR-CO-15", "BR-CO-16"} <= report.rules
    failure = issue(report, "BR-CO-15")
    assert failure.layer == "en16931"
    assert failure.message == "Le total TTC ne correspond pas au total HT augmenté de la TVA."
    assert failure.text.startswith("[BR-CO-15]-Invoice total amount with VAT (BT-112)")


def test_wrong_line_total_fails_sum_rule(make_document):
    xml = replace_once(build_cii_xml(make_document()), "<ram:LineTotalAmount>195.00", "<ram:LineTotalAmount>159.00")

    report = validate_cii(xml)

    assert "BR-CO-10" in report.rules
    assert issue(report, "BR-CO-10").message == (
        "Le total HT des lignes ne correspond pas à la somme des montants HT des lignes."
    )


def test_missing_recovery_indemnity_note_fails(make_document):
    doc = make_document()
    doc = dataclasses.replace(doc, notes=tuple(n for n in doc.notes if n.subject_code != "PMT"))

    report = validate_cii(build_cii_xml(doc))

    assert report.rules == {"BR-FR-05"}
    failure = issue(report, "BR-FR-05")
    assert failure.assertion_id == "BR-FR-05_BT-22_PMT"
    assert "indemnité forfaitaire pour frais de recouvrement de 40 €" in failure.message


def test_invoice_number_with_spaces_fails(make_document):
    report = validate_cii(build_cii_xml(make_document(number="F 2026.42")))

    assert report.rules == {"BR-FR-02"}
    assert "séquence de numérotation" in issue(report, "BR-FR-02").message


def test_franchise_without_vat_number_or_tax_registration_fails(make_document, make_line, seller):
    micro = dataclasses.replace(seller, vat_number="", tax_registration="")
    doc = make_document(
        seller=micro,
        lines=(make_line(quantity="1", price="450", rate="0", category="E"),),
        vat_exemptions=(FRANCHISE,),
    )

    report = validate_cii(build_cii_xml(doc))

    assert report.rules == {"BR-E-02"}
    assert "identifiant fiscal" in issue(report, "BR-E-02").message


def test_exempt_line_without_reason_fails(make_document, make_line):
    doc = make_document(lines=(make_line(quantity="1", price="800", rate="0", category="E"),))

    report = validate_cii(build_cii_xml(doc))

    assert report.rules == {"BR-E-10"}
    assert "293 B du CGI" in issue(report, "BR-E-10").message


def test_buyer_without_electronic_address_fails(make_document, buyer):
    anonymous = dataclasses.replace(buyer, siren="", siret="", email="")

    report = validate_cii(build_cii_xml(make_document(buyer=anonymous)))

    assert report.rules == {"BR-FR-12"}
    assert "adresse de facturation électronique du client" in issue(report, "BR-FR-12").message


def test_credit_note_without_invoice_reference_fails(make_document):
    report = validate_cii(build_cii_xml(make_document(type_code="381")))

    assert report.rules == {"BR-FR-CO-05"}


def test_foreign_currency_without_euro_vat_fails(make_document):
    report = validate_cii(build_cii_xml(make_document(currency="USD")))

    assert report.rules == {"BR-FR-CO-12"}
    assert "en euros" in issue(report, "BR-FR-CO-12").message


def test_credit_transfer_without_iban_fails(make_document):
    report = validate_cii(build_cii_xml(make_document(iban="")))

    assert report.rules == {"CII-SR-470"}
    assert "IBAN" in issue(report, "CII-SR-470").message


def test_vat_rate_unknown_in_france_fails(make_document, make_line):
    report = validate_cii(build_cii_xml(make_document(lines=(make_line(rate="15"),))))

    assert report.rules == {"BR-FR-16"}


def test_invalid_currency_code_fails_code_list(make_document):
    xml = replace_once(build_cii_xml(make_document()), "<ram:InvoiceCurrencyCode>EUR", "<ram:InvoiceCurrencyCode>EUX")

    report = validate_cii(xml, french_rules=False)

    assert report.layers == ("xsd", "en16931")
    failure = next(i for i in report.errors if "InvoiceCurrencyCode" in i.text)
    assert failure.rule.startswith("FX-SCH-A-")
    assert failure.message == "La valeur de « ram:InvoiceCurrencyCode » ne fait pas partie des codes autorisés."


def test_schema_error_stops_before_schematrons(make_document):
    xml = replace_once(build_cii_xml(make_document()), "<ram:TypeCode>380</ram:TypeCode>", "")

    report = validate_cii(xml)

    assert report.layers == ("xsd",)
    assert report.rules == {"XSD"}
    failure = report.errors[0]
    assert failure.layer == "xsd"
    assert failure.message.startswith("Le XML ne respecte pas le schéma Factur-X EN 16931 (ligne ")
    assert "IssueDateTime" in failure.text


def test_doctype_is_rejected_before_any_layer():
    xml = (
        b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x "boom">]>\n'
        b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">'
        b"&x;</rsm:CrossIndustryInvoice>"
    )

    report = validate_cii(xml, filename="piege.xml")

    assert report.layers == ("xml",)
    assert report.rules == {"XML"}
    assert "contient une déclaration DOCTYPE" in report.errors[0].message
    assert "« piege.xml »" in report.errors[0].message


def test_malformed_xml_is_reported_not_raised():
    report = validate_cii(b"<rsm:CrossIndustryInvoice>", filename="coupe.xml")

    assert not report.ok
    assert report.errors[0].layer == "xml"
    assert "n'est pas un XML valide" in report.errors[0].message


def test_french_rules_can_be_skipped(make_document, seller):
    doc = make_document(seller=dataclasses.replace(seller, siren="", siret=""))

    report = validate_cii(build_cii_xml(doc), french_rules=False)

    assert report.ok
    assert report.layers == ("xsd", "en16931")


def test_messages_name_the_rule(make_document):
    doc = make_document()
    doc = dataclasses.replace(doc, notes=())

    report = validate_cii(build_cii_xml(doc))

    assert len(report.messages()) == 3
    assert all(message.endswith("(BR-FR-05)") for message in report.messages())


def test_unknown_rule_falls_back_to_generic_french_sentence():
    message = explain("BR-99", "BR-99", "[BR-99]-Something is wrong.")

    assert message == "La règle BR-99 n'est pas respectée : [BR-99]-Something is wrong."


def test_schema_like_rules_get_element_name():
    assert explain(
        "FX-SCH-A-000183", "FX-SCH-A-000183", "Element 'ram:ChargeIndicator' must occur exactly 1 times."
    ) == ("L'élément « ram:ChargeIndicator » est manquant ou répété.")


def test_codedb_parameter_gives_same_results_as_original_stylesheet(make_document):
    # The validator passes the EN 16931 code lists as a pre-parsed parameter
    # instead of letting the stylesheet load them: compare with the original.
    valid = build_cii_xml(make_document())
    documents = [
        valid,
        replace_once(valid, "<ram:InvoiceCurrencyCode>EUR", "<ram:InvoiceCurrencyCode>EUX"),
        replace_once(valid, "<ram:CountryID>FR", "<ram:CountryID>XX"),
        replace_once(valid, "<ram:CategoryCode>S", "<ram:CategoryCode>Q"),
        replace_once(valid, "<ram:TypeCode>30</ram:TypeCode>", "<ram:TypeCode>999</ram:TypeCode>"),
    ]
    processor = PySaxonProcessor(license=False)
    original = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(EN16931_XSLT_PATH))

    for xml in documents:
        svrl = original.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))
        expected = sorted(node.get("id", "") for node in etree.fromstring(svrl.encode()).iter(*SVRL_FAILURES))
        report = validate_cii(xml, french_rules=False)
        found = sorted(i.assertion_id for i in report.errors + report.warnings)
        assert found == expected
    assert len({tuple(sorted(validate_cii(x, french_rules=False).rules)) for x in documents}) == 5


def test_concurrent_validations_give_sequential_results(make_document, seller):
    documents = [
        build_cii_xml(make_document()),
        build_cii_xml(make_document(seller=dataclasses.replace(seller, siren="", siret=""))),
        build_cii_xml(make_document(number="F 2026.42")),
    ] * 4
    expected = [validate_cii(xml).rules for xml in documents]

    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda xml: validate_cii(xml).rules, documents))

    assert found == expected


def test_facturx_pdf_passes(make_document):
    pdf = facturx.generate_from_binary(blank_pdf(), build_cii_xml(make_document()))

    report = validate_facturx_pdf(pdf)

    assert report.ok
    assert report.layers == ("pdf", "xsd", "en16931", "br-fr")


def test_pdf_with_wrongly_named_attachment_fails(make_document):
    pdf = pdf_with_attachment("invoice.xml", build_cii_xml(make_document()))

    report = validate_facturx_pdf(pdf, filename="facture.pdf")

    assert report.rules == {"FX-PDF-NAME"}
    assert "« invoice.xml »" in issue(report, "FX-PDF-NAME").message
    assert [w.rule for w in report.warnings] == ["FX-PDF-AFRELATIONSHIP", "PEPPOL-EN16931-R008"]


def test_pdf_without_xml_fails_with_french_message():
    report = validate_facturx_pdf(blank_pdf(), filename="scan.pdf")

    assert report.rules == {"FX-PDF"}
    assert report.errors[0].message == (
        "Le fichier « scan.pdf » ne contient pas de XML Factur-X (pièce jointe factur-x.xml absente). "
        "Exportez la facture au format Factur-X ou CII puis réessayez."
    )


def test_damaged_pdf_fails_with_french_message():
    report = validate_facturx_pdf(b"%PDF-1.7\nnot really a pdf", filename="abime.pdf")

    assert report.rules == {"FX-PDF"}
    assert report.errors[0].message.startswith("Le fichier « abime.pdf » n'est pas un PDF lisible.")


def test_buyer_without_country_fails_mandatory_rule(make_document, buyer):
    homeless = dataclasses.replace(buyer, address=dataclasses.replace(buyer.address, country_code=""))

    report = validate_cii(build_cii_xml(make_document(buyer=homeless)))

    assert not report.ok
    assert "BR-10" in report.rules
    assert issue(report, "BR-10").message == "L'adresse du client est manquante : complétez la fiche client."


@pytest.mark.parametrize(
    "name",
    [
        "CII_example1.xml",
        "CII_example2.xml",
        "CII_example3.xml",
        "CII_example4.xml",
        "CII_example6.xml",
        "CII_example7.xml",
        "CII_business_example_01.xml",
    ],
)
def test_official_examples_pass_en16931_layers(reference_bytes, name):
    report = validate_cii(reference_bytes(name), filename=name, french_rules=False)

    assert report.layers == ("xsd", "en16931")
    assert report.errors == ()


def test_french_sample_passes_three_layers(reference_bytes):
    report = validate_cii(reference_bytes("factur-x-en16931.xml"))

    assert report.layers == ("xsd", "en16931", "br-fr")
    assert report.errors == ()


def test_paid_framework_requires_full_payment(make_document):
    report = validate_cii(build_cii_xml(make_document(business_process="S2", prepaid=Decimal("100.00"))))

    assert report.rules == {"BR-FR-CO-09"}


def test_french_rules_apply_to_french_parties_only(make_document, buyer):
    foreign = dataclasses.replace(buyer, address=dataclasses.replace(buyer.address, country_code="NO"))

    assert french_rules_apply(make_document())
    assert not french_rules_apply(make_document(buyer=foreign))
