"""Turn an invoice PDF/A-3b into a Factur-X invoice by embedding its CII XML.

The ``factur-x`` library attaches the XML as ``factur-x.xml`` (AFRelationship
Data) and replaces the PDF's XMP metadata with its own packet, which declares
PDF/A-3 level B (pdfaid:part 3, pdfaid:conformance B) and the Factur-X
extension schema. Typst's XMP packet is dropped whole, so none of its
properties (creator tool, dates, document ids) survive to contradict the new
one.

The library writes the document information dictionary separately from the
XMP, with an empty /Keywords that the XMP lacks and dates from a second clock
reading. veraPDF compares the two only for PDF/A-1, but other validators
compare them for every part, so ``_match_info_to_xmp`` rewrites the dictionary
from the XMP.
"""

from __future__ import annotations

import datetime
import io

from facturx.facturx import _facturx_update_metadata_add_attachment as _add_facturx_attachment
from pypdf import PdfWriter

from ardoise.core.document import InvoiceDocument
from ardoise.pdf.context import document_metadata

FACTURX_LEVEL = "en16931"

# BCP 47 tags for the PDF's /Lang entry, which screen readers use.
PDF_LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}


def embed_facturx(pdf: bytes, xml: bytes, doc: InvoiceDocument) -> bytes:
    """Embed the CII ``xml`` into the invoice ``pdf`` as a Factur-X EN 16931 file.

    The XML is not checked here: the invoicing service validates it (XSD,
    EN 16931 and French rules) before rendering. The PDF is copied and written
    once, which halves the time ``facturx.generate_from_binary`` followed by a
    separate metadata pass would take.
    """
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    # A new writer would otherwise declare PDF 1.3, older than the features the file uses.
    writer.pdf_header = pdf[: pdf.index(b"\n")].decode("ascii").strip()
    # NOTE: this is the factur-x library's own attachment and XMP step (the body of
    # generate_from_binary), a private function: re-check it when upgrading the library.
    _add_facturx_attachment(
        writer,
        xml,
        document_metadata(doc),
        "factur-x",
        FACTURX_LEVEL,
        lang=PDF_LANGUAGES.get(doc.language, doc.language),
    )
    _match_info_to_xmp(writer)

    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _match_info_to_xmp(writer: PdfWriter) -> None:
    """Rewrite the document information dictionary from the XMP metadata."""
    xmp = writer.xmp_metadata
    if xmp is None:
        raise ValueError("The Factur-X PDF has no XMP metadata.")

    info = {
        "/Title": (xmp.dc_title or {}).get("x-default", ""),
        "/Author": ", ".join(xmp.dc_creator or []),
        "/Subject": (xmp.dc_description or {}).get("x-default", ""),
        "/Creator": xmp.xmp_creator_tool or "",
        "/Producer": xmp.pdf_producer or "",
        "/CreationDate": _pdf_date(xmp.xmp_create_date),
        "/ModDate": _pdf_date(xmp.xmp_modify_date),
    }
    # Replacing the whole dictionary also drops /Keywords, which has no XMP counterpart here.
    writer.metadata = {key: value for key, value in info.items() if value}


def _pdf_date(value: datetime.datetime | None) -> str:
    # pypdf returns XMP dates converted to naive UTC datetimes.
    if value is None:
        return ""
    return value.strftime("D:%Y%m%d%H%M%S+00'00'")
