"""Parsing of XML that comes from users, without DTDs, entities or network access.

An e-invoice never needs a DOCTYPE: CII and UBL are defined by XML schemas.
A DOCTYPE in an uploaded file can only serve entity expansion ("billion
laughs") or external entities that read local files, so it is rejected.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from lxml import etree

from ardoise.einvoice.errors import InvoiceFileError

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def safe_parser() -> etree.XMLParser:
    """Return an lxml parser that loads no DTD, expands no entity and opens no URL."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted_xml(data: bytes, filename: str) -> etree._Element:
    """Parse XML bytes from a user and return the root element.

    Raises ``InvoiceFileError`` when the bytes are not well-formed XML or
    carry a DOCTYPE.
    """
    # Checked before parsing too, because libxml2 can fail on a DOCTYPE's
    # entity declarations first and the user would read "invalid XML".
    if b"<!DOCTYPE" in data:
        raise _doctype_error(filename)
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as error:
        raise InvoiceFileError(
            _(
                "Le fichier « %(filename)s » n'est pas un XML valide : il est mal formé ou incomplet "
                "vers la ligne %(line)s, colonne %(column)s. "
                "Exportez de nouveau la facture au format Factur-X, CII ou UBL puis réessayez."
            )
            % {"filename": filename, "line": error.lineno, "column": error.position[1] if error.position else "?"},
            filename,
        ) from error

    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _doctype_error(filename)
    return root


def _doctype_error(filename: str) -> InvoiceFileError:
    return InvoiceFileError(
        _(
            "Le fichier « %(filename)s » contient une déclaration DOCTYPE, refusée pour "
            "des raisons de sécurité. Une facture Factur-X, CII ou UBL n'en contient jamais : "
            "exportez-la de nouveau depuis le logiciel qui l'a produite."
        )
        % {"filename": filename},
        filename,
    )


def starts_like_xml(data: bytes) -> bool:
    """Return whether the bytes begin with ``<`` after an optional BOM and blanks, or with a UTF-16 BOM."""
    if data.startswith(UTF16_BOMS):
        return True
    return data.removeprefix(UTF8_BOM).lstrip(b" \t\r\n").startswith(b"<")
