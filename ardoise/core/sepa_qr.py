"""The SEPA credit-transfer QR code (EPC069-12), which lets a customer's banking app pre-fill the transfer.

EPC069-12 is the European Payments Council's QR code guideline for SEPA credit
transfers. Its payload is a list of elements separated by line feeds, in a
fixed order, with nothing after the last element given. The payload has at
most 331 bytes, which is the capacity of a version 13 QR code at error
correction level M, the level the guideline sets. Ardoise writes version 002
in UTF-8, with the invoice's payment reference as unstructured remittance text.
"""

from __future__ import annotations

import base64
import io
import unicodedata
from decimal import Decimal

import segno
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from ardoise.core.document import InvoiceDocument

SERVICE_TAG = "BCD"
VERSION = "002"
CHARACTER_SET_UTF8 = "1"
IDENTIFICATION = "SCT"  # SEPA credit transfer

MAX_NAME_LENGTH = 70  # characters
MAX_REMITTANCE_TEXT_LENGTH = 140  # characters
MAX_PAYLOAD_BYTES = 331  # the byte capacity of a version 13 QR code at level M
MAX_QR_VERSION = 13
ERROR_CORRECTION = "M"
MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")

# ISO/IEC 18004 requires a light margin (quiet zone) of 4 modules around the code.
QUIET_ZONE_MODULES = 4

CREDIT_NOTE = "381"  # UNTDID 1001: the seller pays a credit note, the customer has nothing to transfer

# UNTDID 4461 payment means that are a credit transfer: 30 credit transfer,
# 42 payment to bank account, 58 SEPA credit transfer. A QR code on an
# invoice paid by direct debit or card would invite the customer to pay twice.
CREDIT_TRANSFER_MEANS = frozenset({"30", "42", "58"})

# Version 002 makes the BIC optional only when the beneficiary's bank is in the
# European Economic Area: the EU (with Åland and the French outermost regions,
# which have their own IBAN country codes), Iceland, Liechtenstein and Norway.
# The SEPA zone also takes in Switzerland, the United Kingdom, Monaco and others,
# whose banks must be named by their BIC.
EEA_IBAN_COUNTRIES = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
        *("IS", "LI", "NO"),
        *("AX", "GF", "GP", "MF", "MQ", "RE", "YT"),
    }
)


def epc_payload(*, name: str, iban: str, amount: Decimal, remittance: str, bic: str = "") -> str:
    """Build the EPC069-12 version 002 payload of a SEPA credit transfer of ``amount`` euros.

    ``name`` is the beneficiary, cut to 70 characters, or shorter when the
    payload would exceed 331 bytes in UTF-8. ``remittance`` is the unstructured
    remittance text, which is never cut because a partial reference would match
    no invoice. Line breaks and control characters become spaces, since a line
    feed separates the elements. Raises ``ValueError`` on a value the
    guideline does not allow.
    """
    name = _single_line(name)
    remittance = _single_line(remittance)
    iban = "".join(iban.split()).upper()
    bic = "".join(bic.split()).upper()

    if not name:
        raise ValueError("The beneficiary name is empty.")
    if not 5 <= len(iban) <= 34 or not (iban.isascii() and iban.isalnum()):
        raise ValueError("Invalid IBAN %r: 5 to 34 letters and digits are expected." % iban)
    if bic and len(bic) not in (8, 11):
        raise ValueError("Invalid BIC %r: 8 or 11 characters are expected." % bic)
    if not remittance or len(remittance) > MAX_REMITTANCE_TEXT_LENGTH:
        raise ValueError(
            "Invalid remittance text %r: 1 to %d characters are expected." % (remittance, MAX_REMITTANCE_TEXT_LENGTH)
        )
    if amount != amount.quantize(CENT) or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise ValueError("Invalid amount %s: %s to %s euros, in cents, is expected." % (amount, MIN_AMOUNT, MAX_AMOUNT))

    def payload(beneficiary: str) -> str:
        return "\n".join(
            [
                SERVICE_TAG,
                VERSION,
                CHARACTER_SET_UTF8,
                IDENTIFICATION,
                bic,
                beneficiary,
                iban,
                "EUR%s" % amount.quantize(CENT),
                "",  # purpose code
                "",  # structured creditor reference, exclusive with the text
                remittance,
            ]
        )

    # Accented and non-Latin letters take 2 to 4 bytes in UTF-8, so 70 characters may not fit.
    beneficiary = name[:MAX_NAME_LENGTH].rstrip()
    while len(payload(beneficiary).encode("utf-8")) > MAX_PAYLOAD_BYTES:
        beneficiary = beneficiary[:-1].rstrip()
        if not beneficiary:
            raise ValueError("The payload exceeds %d bytes even with a one-letter name." % MAX_PAYLOAD_BYTES)
    return payload(beneficiary)


def _single_line(text: str) -> str:
    """Replace line breaks, tabs and other control characters by spaces, and collapse runs of spaces."""
    cleaned = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return " ".join(cleaned.split())


def epc_qr(payload: str) -> segno.QRCode:
    """Encode ``payload`` as the guideline requires: UTF-8 bytes, level M, version 13 at most, no ECI."""
    # boost_error=False keeps level M: segno would otherwise raise it when the data leaves room.
    qr = segno.make_qr(payload.encode("utf-8"), error=ERROR_CORRECTION, boost_error=False)
    # make_qr never makes a Micro QR code, whose versions are strings such as "M4".
    if not isinstance(qr.version, int) or qr.version > MAX_QR_VERSION:
        raise ValueError("The payload needs a version %s QR code; EPC069-12 allows 13 at most." % qr.version)
    return qr


def epc_qr_svg(payload: str) -> str:
    """Draw the QR code of ``payload`` as an SVG document, with its quiet zone, black on a transparent background."""
    output = io.BytesIO()
    epc_qr(payload).save(
        output, kind="svg", border=QUIET_ZONE_MODULES, xmldecl=False, svgclass=None, lineclass=None, nl=False
    )
    return output.getvalue().decode("ascii")


def svg_data_uri(svg: str) -> str:
    """Return an SVG document as a ``data:`` URI for an ``<img>`` element."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def document_epc_payload(doc: InvoiceDocument, amount: Decimal | None = None) -> str | None:
    """Return the payload asking to pay ``amount`` of ``doc``, or None when a QR code does not apply.

    ``amount`` defaults to the document's amount due (BT-115). A QR code
    applies to an invoice in euros, not a credit note, paid by credit transfer
    to an IBAN of the SEPA zone, for an amount the guideline allows, with a BIC
    when the bank is outside the European Economic Area. The caller checks that
    the document is issued, because a draft has no number to pay against.
    """
    if doc.type_code == CREDIT_NOTE or doc.currency.upper() != "EUR" or not doc.iban:
        return None
    if doc.payment_means_code not in CREDIT_TRANSFER_MEANS:
        return None
    if amount is None:
        amount = doc.totals().due
    if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        return None
    try:
        iban = IBAN(doc.iban)
    except SchwiftyException:
        return None
    if not iban.in_sepa_zone:
        return None
    if not doc.bic and iban.country_code not in EEA_IBAN_COUNTRIES:
        return None
    return epc_payload(
        name=doc.seller.name,
        iban=iban.compact,
        amount=amount,
        remittance=doc.payment_reference or doc.number,
        bic=doc.bic,
    )


def document_epc_qr_svg(doc: InvoiceDocument, amount: Decimal | None = None) -> str | None:
    """Draw the QR code of ``document_epc_payload``, or return None when a QR code does not apply."""
    payload = document_epc_payload(doc, amount)
    return epc_qr_svg(payload) if payload is not None else None
