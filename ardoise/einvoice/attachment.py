"""The XML invoice embedded in a Factur-X PDF.

The attachments are read with pypdf, the PDF library that factur-x itself
uses, rather than with ``facturx.get_xml_from_pdf``. That function parses each
attachment with lxml's default parser before Ardoise can reject a DOCTYPE. It
also skips an attachment that is not well-formed without saying so, which
would turn a precise error into "no XML found".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _
from pypdf import PdfReader

from ardoise.einvoice.errors import InvoiceFileError

logger = logging.getLogger(__name__)

FACTURX_FILENAME = "factur-x.xml"
# AFRelationship values that Factur-X allows for the invoice XML.
XML_RELATIONSHIPS = ("/Data", "/Alternative", "/Source")


@dataclass(frozen=True)
class EmbeddedXml:
    """An XML file attached to a PDF."""

    name: str
    content: bytes
    relationship: str  # AFRelationship, e.g. "/Data"

    @property
    def has_facturx_name(self) -> bool:
        return self.name == FACTURX_FILENAME


def looks_like_pdf(data: bytes) -> bool:
    """Return whether the bytes start like a PDF (readers accept junk in the first KiB)."""
    return b"%PDF-" in data[:1024]


def find_invoice_xml(pdf: bytes, filename: str) -> EmbeddedXml:
    """Return the ``factur-x.xml`` attachment of a PDF.

    When the PDF has no attachment of that name but has other XML attachments
    (a ZUGFeRD or XRechnung name, for example), the first one is returned so
    that the caller can read it and report the name. Raises
    ``InvoiceFileError`` for an unreadable PDF or a PDF without XML.
    """
    attachments = _xml_attachments(pdf, filename)
    for attachment in attachments:
        if attachment.has_facturx_name:
            return attachment
    if attachments:
        return attachments[0]

    raise InvoiceFileError(
        _(
            "Le fichier « %(filename)s » ne contient pas de XML Factur-X (pièce jointe "
            "factur-x.xml absente). Exportez la facture au format Factur-X ou CII puis réessayez."
        )
        % {"filename": filename},
        filename,
    )


def _xml_attachments(pdf: bytes, filename: str) -> list[EmbeddedXml]:
    try:
        reader = PdfReader(BytesIO(pdf))
        return [
            EmbeddedXml(
                name=attachment.name,
                content=attachment.content,
                relationship=str(attachment.associated_file_relationship),
            )
            for attachment in reader.attachment_list
            if attachment.name.lower().endswith(".xml")
        ]
    # pypdf raises many exception types on damaged files (its own errors,
    # KeyError, ValueError, TypeError...); to the user they all mean the same.
    except Exception as error:
        logger.info("Unreadable PDF %r: %s", filename, error)
        raise InvoiceFileError(
            _(
                "Le fichier « %(filename)s » n'est pas un PDF lisible. "
                "Vérifiez qu'il n'est pas endommagé ou protégé par un mot de passe, puis réessayez."
            )
            % {"filename": filename},
            filename,
        ) from error
