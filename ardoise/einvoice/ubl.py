"""UBL 2.1 Invoice and CreditNote XML (EN 16931) built from an ``InvoiceDocument``.

Some platforms and buyers outside France ask for UBL rather than CII. The
factur-x library writes UBL from the same business-term dict as CII
(``cii.business_terms``), so both formats carry the same parties, lines,
allowances, charges, VAT breakdown and totals. A document whose type code is
a credit note code (381 among others) becomes a UBL ``CreditNote``.
"""

from __future__ import annotations

from facturx import generate_ubl_xml

from ardoise.core.document import InvoiceDocument
from ardoise.einvoice.cii import business_terms

UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
UBL_INVOICE_ROOT = f"{{{UBL_INVOICE_NS}}}Invoice"
UBL_CREDIT_NOTE_ROOT = f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote"


def build_ubl_xml(doc: InvoiceDocument) -> bytes:
    """Return the UBL 2.1 EN 16931 XML of ``doc`` as UTF-8 bytes.

    The XML is not validated here: call ``validate_ubl`` on the result. The
    bytes depend only on ``doc``, so the UBL of an issued invoice can be built
    again from its stored snapshot and comes out the same every time.
    """
    return generate_ubl_xml(business_terms(doc), level="en16931", check_xsd=False, check_schematron=False)
