"""Factur-X CII XML built from InvoiceDocument: content and three-layer validity."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
from lxml import etree

from ardoise.core.document import Address, Note, Party, VatExemption
from ardoise.core.money import VatKey
from ardoise.einvoice import (
    InconsistentDocumentError,
    build_cii_xml,
    business_process_for,
    electronic_address,
    parse_invoice_file,
    validate_cii,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
SUMMATION = SETTLEMENT + "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
SELLER = "//ram:SellerTradeParty"
BUYER = "//ram:BuyerTradeParty"

ISSUE_DATE = datetime.date(2026, 12, 4)
FRANCHISE = VatExemption("E", Decimal("0"), "TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE")
TRAINING = VatExemption("E", Decimal("0"), "Exonération de TVA, article 261-4-4° du CGI", "VATEX-FR-CGI261-4")
REVERSE_CHARGE = VatExemption("AE", Decimal("0"), "Autoliquidation", "VATEX-EU-AE")
INTRA_EU = VatExemption("K", Decimal("0"), "Exonération de TVA, article 262 ter I du CGI", "VATEX-EU-IC")
EXPORT = VatExemption("G", Decimal("0"), "Exonération de TVA, article 262 I du CGI", "VATEX-EU-G")

GERMAN_BUYER = Party(
    name="Bäckerei Schmidt GmbH",
    address=Address(line1="Hauptstraße 5", postcode="10115", city="Berlin", country_code="DE"),
    vat_number="DE123456789",
    email="rechnung@baeckerei-schmidt.de",
)
SWISS_BUYER = Party(
    name="Confiserie Favre SA",
    address=Address(line1="Rue du Rhône 10", postcode="1204", city="Genève", country_code="CH"),
    email="factures@confiserie-favre.ch",
)


def texts(xml: bytes, xpath: str) -> list[str]:
    """Return the text of the elements, or the values of the attributes, that ``xpath`` selects."""
    values = etree.fromstring(xml).xpath(xpath, namespaces=NS)
    return [(value.text or "") if isinstance(value, etree._Element) else str(value) for value in values]


def text(xml: bytes, xpath: str) -> str:
    values = texts(xml, xpath)
    assert len(values) == 1, f"{xpath} matched {values!r}"
    return values[0]


# Each case builds a document from the fixtures; all must pass the XSD, the
# EN 16931 rules and the French rules.
CASES = {
    "rate 20": lambda k: k.document(lines=(k.line(rate="20"),)),
    "rate 10": lambda k: k.document(lines=(k.line(name="Repas", quantity="12", price="14.50", rate="10", unit="C62"),)),
    "rate 5.5": lambda k: k.document(
        lines=(k.line(name="Farine T65", quantity="25", price="1.37", rate="5.5", unit="KGM"),),
        business_process="B1",
    ),
    "rate 2.1": lambda k: k.document(
        lines=(k.line(name="Abonnement presse", quantity="1", price="9.90", rate="2.1", unit="MON"),)
    ),
    "all French rates": lambda k: k.document(
        lines=(
            k.line(rate="20"),
            k.line(name="Repas", quantity="3", price="14.50", rate="10", unit="C62"),
            k.line(name="Livres", quantity="2", price="21.99", rate="5.5", unit="C62"),
            k.line(name="Médicament", quantity="1", price="7.33", rate="2.1", unit="C62"),
        ),
        business_process="M1",
    ),
    "exempt line with reason": lambda k: k.document(
        lines=(
            k.line(rate="20"),
            k.line(name="Formation Excel", quantity="1", price="800", rate="0", category="E", unit="DAY"),
        ),
        vat_exemptions=(TRAINING,),
    ),
    "franchise en base": lambda k: k.document(
        seller=k.micro_entrepreneur,
        lines=(k.line(name="Création de logo", quantity="1", price="450", rate="0", category="E", unit="LS"),),
        vat_exemptions=(FRANCHISE,),
    ),
    "franchise en base with tax registration": lambda k: k.document(
        seller=dataclasses.replace(k.micro_entrepreneur, vat_number="", tax_registration="1234567890123"),
        lines=(k.line(name="Création de logo", quantity="1", price="450", rate="0", category="E", unit="LS"),),
        vat_exemptions=(FRANCHISE,),
    ),
    "line discount in percent": lambda k: k.document(
        lines=(k.line(allowances=(k.adjustment(percent="10", reason="Remise fidélité"),)),)
    ),
    "line discount and charge in amount": lambda k: k.document(
        lines=(
            k.line(
                allowances=(k.adjustment(amount="15.00", reason="Geste commercial"),),
                charges=(k.adjustment(amount="8.50", is_charge=True, reason="Déplacement", reason_code="FC"),),
            ),
        )
    ),
    "price discount from gross price": lambda k: k.document(
        lines=(k.line(price="58.50", gross_price=Decimal("65.00")),)
    ),
    "document discount": lambda k: k.document(
        lines=(k.line(rate="20"), k.line(name="Repas", quantity="3", price="14.50", rate="10", unit="C62")),
        allowances=(k.adjustment(percent="5", vat=VatKey("S", Decimal("20"))),),
        business_process="M1",
    ),
    "document charge": lambda k: k.document(
        lines=(k.line(name="Pain de campagne", quantity="40", price="3.20", rate="5.5", unit="C62"),),
        charges=(
            k.adjustment(
                amount="12.00",
                is_charge=True,
                reason="Frais de livraison",
                reason_code="DL",
                vat=VatKey("S", Decimal("20")),
            ),
        ),
        business_process="B1",
    ),
    "deposit deducted and rounding": lambda k: k.document(
        lines=(k.line(quantity="10"),), prepaid=Decimal("300.00"), rounding=Decimal("0.01")
    ),
    "final invoice after deposit": lambda k: k.document(
        lines=(k.line(quantity="10"),), business_process="S4", prepaid=Decimal("234.00")
    ),
    "invoice already paid": lambda k: k.document(
        lines=(k.line(),), business_process="S2", prepaid=Decimal("234.00"), due_date=ISSUE_DATE
    ),
    "credit note": lambda k: k.document(
        number="AV-2026-0003",
        type_code="381",
        lines=(k.line(quantity="1"),),
        preceding_invoice="F-2026-0042",
        preceding_invoice_date=datetime.date(2026, 11, 30),
    ),
    "deposit invoice": lambda k: k.document(
        number="FA-2026-0007",
        type_code="386",
        lines=(k.line(name="Acompte de 30 %", quantity="1", price="1200", unit="C62"),),
    ),
    "reverse charge for an EU business": lambda k: k.document(
        buyer=GERMAN_BUYER,
        lines=(k.line(name="Audit de sécurité", quantity="2", price="900", rate="0", category="AE", unit="DAY"),),
        vat_exemptions=(REVERSE_CHARGE,),
    ),
    "intra-EU supply of goods": lambda k: k.document(
        buyer=GERMAN_BUYER,
        lines=(k.line(name="Four à pain", quantity="1", price="5400", rate="0", category="K", unit="C62"),),
        vat_exemptions=(INTRA_EU,),
        delivery_date=datetime.date(2026, 12, 2),
        delivery_address=GERMAN_BUYER.address,
        business_process="B1",
    ),
    "export outside the EU": lambda k: k.document(
        buyer=SWISS_BUYER,
        lines=(k.line(name="Moules à chocolat", quantity="50", price="12.40", rate="0", category="G", unit="C62"),),
        vat_exemptions=(EXPORT,),
        business_process="B1",
    ),
    "price per hundred and fine quantity": lambda k: k.document(
        lines=(k.line(name="Étiquettes", quantity="1250.5", price="4.8", base_quantity=Decimal("100"), unit="C62"),),
        business_process="B1",
    ),
    "invoice in US dollars": lambda k: k.document(currency="USD", lines=(k.line(),), vat_total_eur=Decimal("36.21")),
    "delivery date, purchase order and buyer reference": lambda k: k.document(
        delivery_date=datetime.date(2026, 11, 28),
        purchase_order="BC-2026-118",
        buyer_reference="SERVICE-ACHATS",
    ),
}


@pytest.fixture
def kit(make_document, make_line, make_adjustment, seller):
    """The builders the cases use, as one object."""

    class Kit:
        document = staticmethod(make_document)
        line = staticmethod(make_line)
        adjustment = staticmethod(make_adjustment)
        micro_entrepreneur = dataclasses.replace(
            seller,
            name="Camille Martin EI",
            legal_form="EI",
            share_capital="",
            registration="",
            siren="853612345",
            siret="85361234500014",
            vat_number="FR58853612345",
        )

    return Kit


@pytest.mark.parametrize("case", CASES)
def test_generated_invoice_passes_three_layers(kit, case):
    doc = CASES[case](kit)

    report = validate_cii(build_cii_xml(doc))

    assert report.layers == ("xsd", "en16931", "br-fr")
    assert report.errors == ()


@pytest.mark.parametrize("case", CASES)
def test_generated_invoice_reads_back_with_same_totals(kit, case):
    doc = CASES[case](kit)

    parsed = parse_invoice_file(build_cii_xml(doc), "facture.xml")

    assert parsed.totals.as_bt_dict() == doc.totals().as_bt_dict()
    assert parsed.totals.breakdown == doc.totals().breakdown


def test_seller_identifiers_and_electronic_address(make_document):
    xml = build_cii_xml(make_document())

    assert text(xml, SELLER + "/ram:SpecifiedLegalOrganization/ram:ID") == "732829320"
    assert text(xml, SELLER + "/ram:SpecifiedLegalOrganization/ram:ID/@schemeID") == "0002"
    assert text(xml, SELLER + "/ram:GlobalID[@schemeID='0009']") == "73282932000074"
    assert text(xml, SELLER + "/ram:URIUniversalCommunication/ram:URIID") == "732829320"
    assert text(xml, SELLER + "/ram:URIUniversalCommunication/ram:URIID/@schemeID") == "0225"
    assert text(xml, SELLER + "/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == "FR44732829320"
    assert text(xml, SELLER + "/ram:Description") == "SARL au capital de 10 000 € - RCS Lyon"


def test_buyer_without_siren_is_addressed_by_email(make_document):
    xml = build_cii_xml(make_document(buyer=GERMAN_BUYER))

    assert text(xml, BUYER + "/ram:URIUniversalCommunication/ram:URIID") == "rechnung@baeckerei-schmidt.de"
    assert text(xml, BUYER + "/ram:URIUniversalCommunication/ram:URIID/@schemeID") == "EM"


def test_directory_address_overrides_siren(buyer):
    routed = dataclasses.replace(buyer, electronic_address="552081317_COMPTA", electronic_address_scheme="0225")

    assert electronic_address(routed) == ("552081317_COMPTA", "0225")
    assert electronic_address(buyer) == ("552081317", "0225")
    assert electronic_address(GERMAN_BUYER) == ("rechnung@baeckerei-schmidt.de", "EM")
    assert electronic_address(Party(name="Sans adresse")) == ("", "")


def test_legal_notes_keep_their_subject_codes(make_document):
    xml = build_cii_xml(make_document())

    assert texts(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode") == ["PMT", "PMD", "AAB"]


def test_payment_terms_and_credit_transfer(make_document):
    xml = build_cii_xml(make_document())

    means = SETTLEMENT + "/ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(xml, means + "/ram:TypeCode") == "30"
    assert text(xml, means + "/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "FR7630006000011234567890189"
    assert text(xml, means + "/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == "AGRIFRPP"
    assert text(xml, SETTLEMENT + "/ram:PaymentReference") == "F-2026-0042"
    assert text(xml, SETTLEMENT + "/ram:SpecifiedTradePaymentTerms/ram:Description") == (
        "30 jours à compter de la date de facture"
    )
    assert (
        text(xml, SETTLEMENT + "/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == "20270103"
    )


def test_business_process_and_references(make_document):
    xml = build_cii_xml(
        make_document(
            business_process="M1",
            delivery_date=datetime.date(2026, 11, 28),
            purchase_order="BC-2026-118",
            buyer_reference="SERVICE-ACHATS",
        )
    )

    assert text(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == "M1"
    assert text(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == "urn:cen.eu:en16931:2017"
    assert text(xml, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString") == "20261128"
    assert text(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "BC-2026-118"
    assert text(xml, "//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference") == "SERVICE-ACHATS"


def test_line_allowance_terms(make_document, make_line, make_adjustment):
    line = make_line(allowances=(make_adjustment(percent="10", reason="Remise fidélité", reason_code="95"),))

    xml = build_cii_xml(make_document(lines=(line,)))

    allowance = "//ram:IncludedSupplyChainTradeLineItem//ram:SpecifiedTradeAllowanceCharge"
    assert text(xml, allowance + "/ram:ChargeIndicator/udt:Indicator") == "false"
    assert text(xml, allowance + "/ram:CalculationPercent") == "10.00"
    assert text(xml, allowance + "/ram:BasisAmount") == "195.00"
    assert text(xml, allowance + "/ram:ActualAmount") == "19.50"
    assert text(xml, allowance + "/ram:Reason") == "Remise fidélité"
    assert text(xml, allowance + "/ram:ReasonCode") == "95"
    assert text(xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount") == "175.50"


def test_document_allowance_vat_category(make_document, make_adjustment):
    xml = build_cii_xml(make_document(allowances=(make_adjustment(percent="5", vat=VatKey("S", Decimal("20"))),)))

    allowance = SETTLEMENT + "/ram:SpecifiedTradeAllowanceCharge"
    assert text(xml, allowance + "/ram:ActualAmount") == "9.75"
    assert text(xml, allowance + "/ram:BasisAmount") == "195.00"
    assert text(xml, allowance + "/ram:CategoryTradeTax/ram:CategoryCode") == "S"
    assert text(xml, allowance + "/ram:CategoryTradeTax/ram:RateApplicablePercent") == "20.00"
    assert text(xml, SUMMATION + "/ram:AllowanceTotalAmount") == "9.75"


def test_totals_come_from_the_money_module(make_document, make_line):
    doc = make_document(
        lines=(make_line(quantity="3", price="65"), make_line(name="Repas", quantity="3", price="14.50", rate="10")),
        prepaid=Decimal("100"),
        rounding=Decimal("-0.02"),
    )
    totals = doc.totals()

    xml = build_cii_xml(doc)

    assert text(xml, SUMMATION + "/ram:LineTotalAmount") == str(totals.line_total) == "238.50"
    assert text(xml, SUMMATION + "/ram:TaxBasisTotalAmount") == str(totals.tax_exclusive)
    assert text(xml, SUMMATION + "/ram:TaxTotalAmount[@currencyID='EUR']") == str(totals.tax_total) == "43.35"
    assert text(xml, SUMMATION + "/ram:GrandTotalAmount") == str(totals.tax_inclusive) == "281.85"
    assert text(xml, SUMMATION + "/ram:TotalPrepaidAmount") == "100.00"
    assert text(xml, SUMMATION + "/ram:RoundingAmount") == "-0.02"
    assert text(xml, SUMMATION + "/ram:DuePayableAmount") == str(totals.due) == "181.83"
    assert texts(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:CalculatedAmount") == ["39.00", "4.35"]


def test_exemption_reason_and_code_go_to_vat_breakdown(make_document, make_line):
    doc = make_document(
        lines=(make_line(name="Formation", quantity="1", price="800", rate="0", category="E"),),
        vat_exemptions=(TRAINING,),
    )

    xml = build_cii_xml(doc)

    tax = SETTLEMENT + "/ram:ApplicableTradeTax"
    assert text(xml, tax + "/ram:CategoryCode") == "E"
    assert text(xml, tax + "/ram:RateApplicablePercent") == "0.00"
    assert text(xml, tax + "/ram:ExemptionReason") == "Exonération de TVA, article 261-4-4° du CGI"
    assert text(xml, tax + "/ram:ExemptionReasonCode") == "VATEX-FR-CGI261-4"


def test_not_subject_to_vat_has_no_rate(make_document, make_line):
    doc = make_document(
        lines=(make_line(name="Débours", quantity="1", price="35", rate="0", category="O"),),
        vat_exemptions=(VatExemption("O", Decimal("0"), "Non soumis à la TVA"),),
    )

    xml = build_cii_xml(doc)

    assert texts(xml, "//ram:RateApplicablePercent") == []


def test_not_subject_to_vat_leaves_vat_numbers_out(make_document, make_line):
    doc = make_document(
        lines=(make_line(name="Débours", quantity="1", price="35", rate="0", category="O"),),
        vat_exemptions=(VatExemption("O", Decimal("0"), "Non soumis à la TVA"),),
    )

    xml = build_cii_xml(doc)
    report = validate_cii(xml, french_rules=False)

    assert doc.seller.vat_number and doc.buyer.vat_number
    assert texts(xml, "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == []
    assert report.errors == ()


def test_exempt_negative_group_has_zero_vat(make_document, make_line):
    doc = make_document(
        lines=(
            make_line(name="Conseil", quantity="1", price="100"),
            make_line(name="Reprise", quantity="-1", price="25", rate="0", category="E"),
        ),
        vat_exemptions=(VatExemption("E", Decimal("0"), "Exonération de TVA, article 261 du CGI"),),
    )

    xml = build_cii_xml(doc)

    assert "-0.00" not in xml.decode()
    assert validate_cii(xml).errors == ()


def test_foreign_currency_adds_vat_total_in_euros(make_document):
    xml = build_cii_xml(make_document(currency="USD", vat_total_eur=Decimal("36.21")))

    assert text(xml, SETTLEMENT + "/ram:TaxCurrencyCode") == "EUR"
    assert text(xml, SUMMATION + "/ram:TaxTotalAmount[@currencyID='EUR']") == "36.21"
    assert text(xml, SUMMATION + "/ram:TaxTotalAmount[@currencyID='USD']") == "39.00"


def test_empty_delivery_is_not_marked_nil(make_document):
    xml = build_cii_xml(make_document())

    assert b"xsi:nil" not in xml
    assert texts(xml, "//ram:ApplicableHeaderTradeDelivery") == [""]


def test_stored_line_amount_must_match_computed(make_document, make_line):
    wrong = dataclasses.replace(make_line(), net_amount=Decimal("190.00"))

    with pytest.raises(InconsistentDocumentError, match="Line 1 of invoice F-2026-0042"):
        build_cii_xml(make_document(lines=(wrong,)))


def test_gross_price_below_net_price_is_rejected(make_document, make_line):
    with pytest.raises(InconsistentDocumentError, match="gross price"):
        build_cii_xml(make_document(lines=(make_line(gross_price=Decimal("60")),)))


def test_business_process_follows_lines(make_line):
    service = make_line()
    goods = make_line(name="Farine", is_service=False)

    assert business_process_for([service]) == "S1"
    assert business_process_for([goods]) == "B1"
    assert business_process_for([service, goods]) == "M1"
    assert business_process_for([service], paid=True) == "S2"
    assert business_process_for([goods, service], after_deposit=True) == "M4"
    with pytest.raises(ValueError):
        business_process_for([service], paid=True, after_deposit=True)


def test_notes_without_subject_code_are_written(make_document):
    note = Note("Merci de votre confiance.")

    xml = build_cii_xml(make_document(notes=(*make_document().notes, note)))

    assert texts(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content")[-1] == "Merci de votre confiance."


def test_document_allowance_without_vat_is_rejected(make_document, make_adjustment):
    with pytest.raises(ValueError, match="needs a VAT category"):
        build_cii_xml(make_document(allowances=(make_adjustment(percent="5"),)))


def test_control_characters_are_dropped(make_document, make_line):
    line = make_line(name="Développement\x0b web", description="Sprint\x00 1\x1f")

    xml = build_cii_xml(make_document(lines=(line,)))

    assert text(xml, "//ram:SpecifiedTradeProduct/ram:Name") == "Développement web"
    assert text(xml, "//ram:SpecifiedTradeProduct/ram:Description") == "Sprint 1"
    assert validate_cii(xml).ok
