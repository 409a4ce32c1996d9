"""VAT situations: one invoice issued per situation, its mentions, its validation, and what blocks issue."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from ardoise.accounts.models import VatRegime
from ardoise.core.money import Adjustment, VatKey
from ardoise.customers.models import Customer
from ardoise.einvoice.validation import LAYER_BR_FR, LAYER_EN16931, LAYER_XSD, validate_cii
from ardoise.invoicing.documents import adjustment_to_json
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, SeriesCounter
from ardoise.invoicing.services import issue_invoice, normalise_line_vat, refresh_totals

DAY = datetime.date(2026, 12, 4)
NS = {
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
}


def make_customer(organisation, name, country, **fields):
    defaults = dict(
        email="compta@example.com",
        address_line1="1 Hauptstraße",
        postcode="10115",
        city="Berlin",
        country_code=country,
    )
    defaults.update(fields)
    return Customer.objects.create(organisation=organisation, name=name, **defaults)


@pytest.fixture
def german_company(organisation):
    return make_customer(organisation, "Müller GmbH", "DE", vat_number="DE136695976")


@pytest.fixture
def american_company(organisation):
    return make_customer(
        organisation, "Acme Inc.", "US", address_line1="1 Main Street", postcode="10001", city="New York"
    )


def make_draft(organisation, customer, *lines):
    """Create a draft from (name, price, rate or None, is_service) tuples, normalised as the editor saves them."""
    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    for position, (name, price, rate, is_service) in enumerate(lines):
        line = InvoiceLine(
            invoice=invoice,
            position=position,
            name=name,
            quantity=Decimal("2"),
            unit_price=Decimal(price),
            vat_rate=Decimal(rate) if rate is not None else Decimal("0.00"),
            is_service=is_service,
        )
        normalise_line_vat(line, organisation, customer)
        line.save()
    refresh_totals(invoice)
    return invoice


def issued_files(invoice):
    issued = issue_invoice(invoice, today=DAY)
    return issued, bytes(issued.files.xml), bytes(issued.files.pdf)


def pdf_text(pdf: bytes) -> str:
    """Return the PDF's text with every whitespace removed, since extractors guess spaces."""
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def squeeze(text: str) -> str:
    return "".join(text.split())


def xml_values(xml: bytes, path: str) -> list[str]:
    return [element.text for element in etree.fromstring(xml).iterfind(path, NS)]


def breakdown(xml: bytes) -> list[tuple[str, str, str]]:
    """Return (category, exemption reason, reason code) of each VAT breakdown row (BG-23)."""
    rows = etree.fromstring(xml).iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    return [
        (
            row.findtext("ram:CategoryCode", "", NS),
            row.findtext("ram:ExemptionReason", "", NS),
            row.findtext("ram:ExemptionReasonCode", "", NS),
        )
        for row in rows
    ]


def assert_three_layers_pass(xml: bytes) -> None:
    report = validate_cii(xml)
    assert report.messages() == []
    assert report.layers == (LAYER_XSD, LAYER_EN16931, LAYER_BR_FR)


# One invoice per situation


@pytest.mark.django_db
def test_franchise_issues_e_with_293_b(organisation, customer):
    organisation.vat_regime = VatRegime.FRANCHISE
    organisation.vat_number = ""
    organisation.save()
    draft = make_draft(organisation, customer, ("Conseil", "100.00", "20.00", True), ("Livre", "10.00", None, False))

    invoice, xml, pdf = issued_files(draft)

    assert invoice.total_vat == Decimal("0.00")
    assert breakdown(xml) == [("E", "TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE")]
    assert xml_values(xml, ".//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == ["E", "E"]
    assert pdf_text(pdf).count(squeeze("TVA non applicable, art. 293 B du CGI")) == 1
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_eu_business_service_is_reverse_charged(organisation, german_company):
    draft = make_draft(organisation, german_company, ("Audit", "500.00", None, True))

    invoice, xml, pdf = issued_files(draft)

    assert invoice.total_vat == Decimal("0.00")
    assert breakdown(xml) == [("AE", "Autoliquidation", "VATEX-EU-AE")]
    assert xml_values(xml, ".//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["FR44732829320"]
    assert xml_values(xml, ".//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["DE136695976"]
    text = pdf_text(pdf)
    assert "N°TVA:FR44732829320" in text
    assert "N°TVA:DE136695976" in text
    assert "Autoliquidation" in text
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_eu_business_goods_are_an_intra_eu_supply(organisation, german_company):
    draft = make_draft(organisation, german_company, ("Machine", "1000.00", None, False))

    _invoice, xml, pdf = issued_files(draft)

    assert breakdown(xml) == [("K", "Exonération de TVA, article 262 ter I du CGI", "VATEX-EU-IC")]
    # BR-IC-12 and BR-IC-11: the delivery country and date are given.
    assert xml_values(xml, ".//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["DE"]
    assert xml_values(xml, ".//ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/*") == ["20261204"]
    text = pdf_text(pdf)
    assert text.count(squeeze("Exonération de TVA, article 262 ter I du CGI")) == 1
    assert "N°TVA:DE136695976" in text
    assert "N°TVA:FR44732829320" in text
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_intra_eu_supply_uses_the_delivery_country(organisation, german_company):
    german_company.delivery_address_line1 = "Via Roma 1"
    german_company.delivery_postcode = "00100"
    german_company.delivery_city = "Roma"
    german_company.delivery_country_code = "IT"
    german_company.save()
    draft = make_draft(organisation, german_company, ("Machine", "1000.00", None, False))

    _invoice, xml, _pdf = issued_files(draft)

    assert xml_values(xml, ".//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["IT"]
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_intra_eu_supply_with_delivery_country_only(organisation, german_company):
    german_company.delivery_country_code = "AT"
    german_company.save()
    draft = make_draft(organisation, german_company, ("Machine", "1000.00", None, False))

    _invoice, xml, _pdf = issued_files(draft)

    assert xml_values(xml, ".//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["AT"]
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_export_goods_and_services_outside_eu(organisation, american_company):
    draft = make_draft(
        organisation,
        american_company,
        ("Machine", "1000.00", None, False),
        ("Formation à distance", "300.00", None, True),
    )

    _invoice, xml, pdf = issued_files(draft)

    # One reason per VAT group (BT-120): the G group cites both legal bases.
    reason = "Exonération de TVA, article 262 I du CGI ; TVA non applicable, art. 259-1 du CGI"
    assert breakdown(xml) == [("G", reason, "VATEX-EU-G")]
    assert pdf_text(pdf).count(squeeze(reason)) == 1
    assert_three_layers_pass(xml)


def export_charge(reason: str, amount: str) -> dict:
    """Return a charge on the total at 0 % exempt as an export, stored as the editor stores it."""
    charge = Adjustment(is_charge=True, amount=Decimal(amount), reason=reason, vat=VatKey("G", Decimal("0")))
    return {**adjustment_to_json(charge), "exemption": "export"}


@pytest.mark.django_db
def test_export_charge_prints_each_wording_once(organisation, american_company):
    draft = make_draft(
        organisation,
        american_company,
        ("Machine", "1000.00", None, False),
        ("Formation à distance", "300.00", None, True),
    )
    draft.document_adjustments = [export_charge("Frais de port", "45.00")]
    draft.save()

    _invoice, xml, pdf = issued_files(draft)

    reason = "Exonération de TVA, article 262 I du CGI ; TVA non applicable, art. 259-1 du CGI"
    assert breakdown(xml) == [("G", reason, "VATEX-EU-G")]
    assert pdf_text(pdf).count(squeeze("Exonération de TVA, article 262 I du CGI")) == 1
    assert pdf_text(pdf).count(squeeze("TVA non applicable, art. 259-1 du CGI")) == 1
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_swiss_vat_number_written_as_buyer_vat_identifier(organisation):
    swiss = make_customer(
        organisation, "Fromagerie Alpina SA", "CH", postcode="1003", city="Lausanne", vat_number="CHE116281710TVA"
    )
    draft = make_draft(organisation, swiss, ("Fromage", "300.00", None, False), ("Conseil", "500.00", None, True))

    _invoice, xml, pdf = issued_files(draft)

    buyer_vat = ".//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
    assert xml_values(xml, buyer_vat) == ["CHE116281710TVA"]
    assert "N°TVA:CHE116281710TVA" in pdf_text(pdf)
    assert "Suisse" in pdf_text(pdf)
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_services_outside_eu_cite_259_1(organisation, american_company):
    draft = make_draft(organisation, american_company, ("Conseil", "800.00", None, True))

    _invoice, xml, pdf = issued_files(draft)

    assert breakdown(xml) == [("G", "TVA non applicable, art. 259-1 du CGI", "VATEX-EU-G")]
    assert pdf_text(pdf).count(squeeze("TVA non applicable, art. 259-1 du CGI")) == 1
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_exempt_training_organisation(organisation, customer):
    organisation.vat_regime = VatRegime.EXEMPT
    organisation.vat_exemption = "training"
    organisation.save()
    draft = make_draft(organisation, customer, ("Formation Excel", "700.00", None, True))

    _invoice, xml, pdf = issued_files(draft)

    assert breakdown(xml) == [("E", "Exonération de TVA, article 261-4-4° a du CGI", "VATEX-EU-132-1I")]
    assert pdf_text(pdf).count(squeeze("Exonération de TVA, article 261-4-4° a du CGI")) == 1
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_exempt_customer_with_its_own_basis(organisation, customer):
    customer.vat_situation = "exempt"
    customer.vat_exemption = "other"
    customer.vat_exemption_text = "Exonération de TVA, article 262 II 7° du CGI"
    customer.save()
    draft = make_draft(organisation, customer, ("Avitaillement", "900.00", None, False))

    _invoice, xml, _pdf = issued_files(draft)

    assert breakdown(xml) == [("E", "Exonération de TVA, article 262 II 7° du CGI", "")]
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_eu_customer_domestic_line_keeps_vat(organisation, german_company):
    draft = make_draft(
        organisation,
        german_company,
        ("Audit", "500.00", None, True),
        ("Travaux sur l'immeuble de Lyon", "100.00", "20.00", True),
    )

    invoice, xml, _pdf = issued_files(draft)

    assert invoice.total_vat == Decimal("40.00")
    assert [row[0] for row in breakdown(xml)] == ["S", "AE"]
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_debits_option_printed_once_when_vat_is_charged(organisation, customer):
    organisation.vat_on_debits = True
    organisation.save()
    draft = make_draft(organisation, customer, ("Conseil", "100.00", "20.00", True))

    _invoice, xml, pdf = issued_files(draft)

    notes = etree.fromstring(xml).iterfind(".//ram:IncludedNote", NS)
    tax_notes = [
        note.findtext("ram:Content", "", NS) for note in notes if note.findtext("ram:SubjectCode", "", NS) == "TXD"
    ]
    assert tax_notes == ["Option pour le paiement de la taxe d'après les débits"]
    assert pdf_text(pdf).count(squeeze("Option pour le paiement de la taxe d'après les débits")) == 1
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_debits_option_absent_without_vat(organisation, german_company):
    organisation.vat_on_debits = True
    organisation.save()
    draft = make_draft(organisation, german_company, ("Audit", "500.00", None, True))

    _invoice, xml, pdf = issued_files(draft)

    assert b"TXD" not in xml
    assert squeeze("d'après les débits") not in pdf_text(pdf)


# What blocks issue


def issue_problems(invoice):
    with pytest.raises(InvoicingError) as raised:
        issue_invoice(invoice, today=DAY)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number == ""
    assert not SeriesCounter.objects.filter(last_value__gt=0).exists()
    return raised.value.details


@pytest.mark.django_db
def test_reverse_charge_without_customer_vat_number_is_blocked(organisation, german_company):
    german_company.vat_number = ""
    german_company.save()
    draft = make_draft(organisation, german_company, ("Audit", "500.00", None, True))

    assert issue_problems(draft) == [
        "Le numéro de TVA intracommunautaire du client est obligatoire pour l'autoliquidation "
        "(fiche client « Müller GmbH »)."
    ]


@pytest.mark.django_db
def test_reverse_charge_without_seller_vat_number_is_blocked(organisation, german_company):
    organisation.vat_number = ""
    organisation.save()
    draft = make_draft(organisation, german_company, ("Audit", "500.00", None, True))

    problems = issue_problems(draft)

    assert problems == [
        "Le numéro de TVA intracommunautaire de votre entreprise est obligatoire pour l'autoliquidation et les "
        "livraisons intracommunautaires : indiquez-le dans le profil de l'entreprise (menu Entreprise)."
    ]


def set_line_vat(draft, rate: str, exemption: str) -> None:
    """Give the draft's only line a VAT chosen by hand, as an import or an old draft may carry."""
    line = draft.lines.get()
    line.vat_rate, line.exemption, line.exemption_text = Decimal(rate), exemption, ""
    normalise_line_vat(line, draft.organisation, draft.customer)
    line.save()


@pytest.mark.django_db
def test_goods_reverse_charged_to_eu_business_blocked(organisation, german_company):
    draft = make_draft(organisation, german_company, ("Machine", "1000.00", None, False))
    set_line_vat(draft, "0.00", "reverse_charge")

    problems = issue_problems(draft)

    assert len(problems) == 1
    assert problems[0].startswith("La ligne « Machine » est une vente de biens (champ « Nature ») à « Müller GmbH »")
    assert "« Exonération de TVA, article 262 ter I du CGI »" in problems[0]


@pytest.mark.django_db
def test_services_as_intra_eu_supply_blocked(organisation, german_company):
    draft = make_draft(organisation, german_company, ("Audit", "500.00", None, True))
    set_line_vat(draft, "0.00", "intra_eu_goods")

    problems = issue_problems(draft)

    assert len(problems) == 1
    assert problems[0].startswith("La ligne « Audit » est une prestation de services (champ « Nature »)")


@pytest.mark.django_db
def test_goods_citing_259_1_blocked(organisation, american_company):
    draft = make_draft(organisation, american_company, ("Machine", "1000.00", None, False))
    set_line_vat(draft, "0.00", "services_outside_eu")

    problems = issue_problems(draft)

    assert len(problems) == 1
    assert problems[0].startswith("La ligne « Machine » est une vente de biens (champ « Nature »), mais porte")


@pytest.mark.django_db
def test_goods_at_french_rate_for_eu_business_issue(organisation, german_company):
    draft = make_draft(organisation, german_company, ("Machine remise à Lyon", "1000.00", "20.00", False))

    invoice, _xml, _pdf = issued_files(draft)

    assert invoice.lines.get().vat_category == "S"


@pytest.mark.django_db
def test_intra_eu_supply_needs_customer_vat_number(organisation, german_company):
    german_company.vat_number = ""
    german_company.save()
    draft = make_draft(organisation, german_company, ("Machine", "1000.00", None, False))

    assert issue_problems(draft) == [
        "Le numéro de TVA intracommunautaire du client est obligatoire pour une livraison intracommunautaire "
        "exonérée (fiche client « Müller GmbH »)."
    ]


@pytest.mark.django_db
def test_intra_eu_supply_outside_eu_blocked(organisation, american_company):
    american_company.vat_number = "EU372000041"
    american_company.save()
    draft = make_draft(organisation, american_company, ("Machine", "1000.00", "0.00", False))
    line = draft.lines.get()
    line.exemption, line.exemption_text = "", ""
    line.vat_rate = Decimal("0.00")
    line.exemption = "intra_eu_goods"
    normalise_line_vat(line, organisation, american_company)
    line.save()

    problems = issue_problems(draft)

    assert len(problems) == 1
    assert "livré hors de l'UE (États-Unis)" in problems[0]
    assert "article 262 I du CGI" in problems[0]


@pytest.mark.django_db
def test_intra_eu_supply_in_france_blocked(organisation, german_company):
    german_company.delivery_country_code = "FR"
    german_company.save()
    draft = make_draft(organisation, german_company, ("Machine", "1000.00", None, False))

    problems = issue_problems(draft)

    assert problems == [
        "Une livraison intracommunautaire (article 262 ter I du CGI) suppose des biens livrés dans un autre État "
        "membre de l'UE, mais le pays de livraison de « Müller GmbH » est France. Indiquez le pays de livraison "
        "sur la fiche client, ou appliquez la TVA française à ces lignes."
    ]


@pytest.mark.django_db
def test_vat_rate_under_franchise_is_blocked(organisation, customer):
    draft = make_draft(organisation, customer, ("Conseil", "100.00", "20.00", True))
    organisation.vat_regime = VatRegime.FRANCHISE
    organisation.save()

    problems = issue_problems(draft)

    assert problems == [
        "Votre entreprise est en franchise en base de TVA (menu Entreprise) : la ligne « Conseil » ne peut pas "
        "porter de TVA. Enregistrez à nouveau le brouillon pour la passer à 0 %, ou changez de régime de TVA."
    ]


@pytest.mark.django_db
def test_two_exemption_bases_share_one_reason(organisation, customer):
    organisation.vat_regime = VatRegime.EXEMPT
    organisation.vat_exemption = "training"
    organisation.save()
    draft = make_draft(organisation, customer, ("Formation", "700.00", None, True))
    InvoiceLine.objects.create(
        invoice=draft,
        name="Séance de kinésithérapie",
        unit_price=Decimal("50"),
        vat_rate=Decimal("0.00"),
        vat_category="E",
        exemption="health",
        exemption_text="Exonération de TVA, article 261-4-1° du CGI",
    )
    refresh_totals(draft)

    _invoice, xml, _pdf = issued_files(draft)

    # Different codes cannot share BT-121, so only the wordings are given.
    reason = "Exonération de TVA, article 261-4-4° a du CGI ; Exonération de TVA, article 261-4-1° du CGI"
    assert breakdown(xml) == [("E", reason, "")]
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_exempt_line_without_basis_is_blocked(organisation, customer):
    organisation.vat_regime = VatRegime.EXEMPT
    organisation.vat_exemption = "other"
    organisation.save()
    draft = make_draft(organisation, customer, ("Formation", "700.00", None, True))

    assert issue_problems(draft) == [
        "La ligne « Formation » est exonérée sans motif : indiquez la base légale de l'exonération "
        "(motif d'exonération du menu Entreprise ou de la fiche client)."
    ]


@pytest.mark.django_db
def test_export_delivered_in_eu_blocked(organisation, german_company):
    draft = make_draft(organisation, german_company, ("Machine", "1000.00", None, False))
    line = draft.lines.get()
    line.exemption, line.exemption_text = "export", ""
    normalise_line_vat(line, organisation, german_company)
    line.save()

    problems = issue_problems(draft)

    assert len(problems) == 1
    assert "livré dans l'UE (Allemagne)" in problems[0]


@pytest.mark.django_db
def test_cli_issue_prints_the_french_message(organisation, german_company):
    german_company.vat_number = ""
    german_company.save()
    draft = make_draft(organisation, german_company, ("Audit", "500.00", None, True))

    with pytest.raises(CommandError) as raised:
        call_command("invoice", "issue", str(draft.pk), stdout=io.StringIO(), stderr=io.StringIO())

    assert "obligatoire pour l'autoliquidation (fiche client « Müller GmbH »)" in str(raised.value)
    draft.refresh_from_db()
    assert draft.number == ""


@pytest.mark.django_db
def test_confirmation_page_lists_the_vat_problem(owner_client, organisation, german_company):
    german_company.vat_number = ""
    german_company.save()
    draft = make_draft(organisation, german_company, ("Audit", "500.00", None, True))

    page = owner_client.get(reverse("invoicing:issue", args=[draft.pk]))
    posted = owner_client.post(reverse("invoicing:issue", args=[draft.pk]))

    assert "obligatoire pour l&#x27;autoliquidation (fiche client « Müller GmbH »)" in page.content.decode()
    assert posted.status_code == 200
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT


@pytest.mark.django_db
def test_disbursement_issues_beside_taxed_lines(organisation, customer):
    draft = make_draft(organisation, customer, ("Conseil", "100.00", "20.00", True))
    line = InvoiceLine(
        invoice=draft,
        name="Frais de greffe",
        unit_price=Decimal("30"),
        vat_rate=Decimal("0.00"),
        exemption="disbursement",
    )
    normalise_line_vat(line, organisation, customer)
    line.save()
    refresh_totals(draft)

    _invoice, xml, _pdf = issued_files(draft)

    assert ("E", "Débours, article 267 II 2° du CGI", "VATEX-EU-79-C") in breakdown(xml)
    assert_three_layers_pass(xml)


@pytest.mark.django_db
def test_outside_scope_line_is_blocked(organisation, customer):
    draft = make_draft(organisation, customer, ("Conseil", "100.00", "20.00", True))
    line = InvoiceLine(
        invoice=draft,
        name="Frais de greffe",
        unit_price=Decimal("30"),
        vat_rate=Decimal("0.00"),
        exemption="outside_scope",
    )
    normalise_line_vat(line, organisation, customer)
    line.save()
    refresh_totals(draft)

    problems = issue_problems(draft)

    assert len(problems) == 1
    assert problems[0].startswith("La ligne « Frais de greffe » est hors champ de la TVA")
    assert "« Débours, article 267 II 2° du CGI »" in problems[0]
