import io

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import NameObject

from ardoise.pdf.facturx import embed_facturx
from ardoise.pdf.render import render_invoice_pdf
from ardoise.pdf.samples import sample_invoice

NAMESPACES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}


@pytest.fixture(scope="module")
def invoice():
    return sample_invoice(3)


@pytest.fixture(scope="module")
def typst_pdf(invoice):
    return render_invoice_pdf(invoice)


@pytest.fixture
def facturx_pdf(typst_pdf, cii_xml, invoice):
    return embed_facturx(typst_pdf, cii_xml, invoice)


def xmp_tree(pdf: bytes) -> etree._Element:
    metadata = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object()
    return etree.fromstring(metadata.get_data())


def xmp_values(tree: etree._Element, path: str) -> list[str]:
    return [node.text for node in tree.xpath(path, namespaces=NAMESPACES)]


def test_typst_output_declares_pdfa_3b(typst_pdf):
    tree = xmp_tree(typst_pdf)

    assert xmp_values(tree, "//pdfaid:part") == ["3"]
    assert xmp_values(tree, "//pdfaid:conformance") == ["B"]


def test_typst_output_has_srgb_output_intent(typst_pdf):
    intents = PdfReader(io.BytesIO(typst_pdf)).trailer["/Root"]["/OutputIntents"]

    assert len(intents) == 1
    assert intents[0]["/S"] == "/GTS_PDFA1"
    assert "/DestOutputProfile" in intents[0]


def test_typst_output_embeds_only_invoice_font(typst_pdf):
    fonts = set()
    for page in PdfReader(io.BytesIO(typst_pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert {"/FontFile2", "/FontFile3"} & set(descriptor.keys())
            fonts.add(str(font["/BaseFont"]).split("+", 1)[1])

    assert fonts
    assert all(name.startswith("SourceSansPro-") for name in fonts)


def test_facturx_keeps_pdfa_3b_identification(facturx_pdf):
    tree = xmp_tree(facturx_pdf)

    assert xmp_values(tree, "//pdfaid:part") == ["3"]
    assert xmp_values(tree, "//pdfaid:conformance") == ["B"]


def test_facturx_xmp_declares_invoice_profile(facturx_pdf):
    tree = xmp_tree(facturx_pdf)

    assert xmp_values(tree, "//fx:DocumentType") == ["INVOICE"]
    assert xmp_values(tree, "//fx:DocumentFileName") == ["factur-x.xml"]
    assert xmp_values(tree, "//fx:Version") == ["1.0"]
    assert xmp_values(tree, "//fx:ConformanceLevel") == ["EN 16931"]
    assert xmp_values(tree, "//pdfaSchema:prefix") == ["fx"]
    assert xmp_values(tree, "//pdfaSchema:namespaceURI") == [NAMESPACES["fx"]]


def test_facturx_embeds_xml_as_data_attachment(facturx_pdf, cii_xml):
    root = PdfReader(io.BytesIO(facturx_pdf)).trailer["/Root"]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]

    assert names[0] == "factur-x.xml"
    filespec = names[1].get_object()
    assert filespec["/AFRelationship"] == NameObject("/Data")
    assert filespec["/F"] == "factur-x.xml"
    assert filespec["/UF"] == "factur-x.xml"
    assert [spec.get_object() for spec in root["/AF"]] == [filespec]
    stream = filespec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/text/xml"
    assert stream.get_data() == cii_xml


def test_facturx_xml_reads_back(facturx_pdf, cii_xml):
    filename, xml = facturx.get_xml_from_pdf(facturx_pdf, check_xsd=False)

    assert filename == "factur-x.xml"
    assert xml == cii_xml


def test_facturx_metadata_is_french(facturx_pdf):
    reader = PdfReader(io.BytesIO(facturx_pdf))

    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"
    assert reader.metadata.title == "Facture F-2026-0042"
    assert reader.metadata.author == "Atelier Dupont SARL"
    assert reader.metadata.subject == "Facture F-2026-0042 du 04/12/2026, client : Boulangerie Martin SAS"


def test_facturx_info_dictionary_matches_xmp(facturx_pdf):
    reader = PdfReader(io.BytesIO(facturx_pdf))
    info = reader.metadata
    xmp = reader.xmp_metadata

    assert info.title == xmp.dc_title["x-default"]
    assert info.author == xmp.dc_creator[0]
    assert info.subject == xmp.dc_description["x-default"]
    assert info.creator == xmp.xmp_creator_tool
    assert info.producer == xmp.pdf_producer
    assert info.creation_date.replace(tzinfo=None) == xmp.xmp_create_date
    assert info.modification_date.replace(tzinfo=None) == xmp.xmp_modify_date
    # No pdf:Keywords in the XMP, so no /Keywords in the dictionary either.
    assert xmp.pdf_keywords is None
    assert "/Keywords" not in info


def test_facturx_leaves_no_typst_metadata_behind(facturx_pdf):
    reader = PdfReader(io.BytesIO(facturx_pdf))
    packet = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()

    assert "Typst" not in packet
    assert "Typst" not in reader.metadata.creator
    assert packet.count("pdfaid:part") == 2  # one opening and one closing tag
    assert reader.trailer["/ID"][0]


def test_facturx_keeps_the_rendered_pages(facturx_pdf, typst_pdf, pdf_pages):
    assert pdf_pages(facturx_pdf) == pdf_pages(typst_pdf)


def test_facturx_keeps_pdf_version_of_typst(facturx_pdf, typst_pdf):
    assert typst_pdf.startswith(b"%PDF-1.7\n")
    assert facturx_pdf.startswith(b"%PDF-1.7\n")
