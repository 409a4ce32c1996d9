"""Factur-X and CII e-invoices: building, validating and reading them.

Pure Python on top of the ``factur-x`` library and ``saxonche``; no database
access. The public API:

- ``build_cii_xml(doc)``: the Factur-X EN 16931 CII XML of an ``InvoiceDocument``,
  ``build_ubl_xml(doc)`` its UBL 2.1 Invoice or CreditNote.
- ``validate_cii(xml)``, ``validate_ubl(xml)`` and ``validate_facturx_pdf(pdf)``:
  XSD, EN 16931 and French BR-FR rules, returning a ``ValidationReport``.
- ``parse_invoice_file(data, filename)``: a ``ParsedInvoice`` from a CII XML
  or Factur-X PDF, and ``document_from_parsed`` to rebuild the document.
"""

from ardoise.einvoice.cii import build_cii_xml, business_process_for, electronic_address
from ardoise.einvoice.errors import InconsistentDocumentError, InvoiceFileError
from ardoise.einvoice.parse import (
    ParsedInvoice,
    ParsedLine,
    ParsedTotals,
    document_from_parsed,
    parse_invoice_file,
    total_differences,
)
from ardoise.einvoice.ubl import build_ubl_xml
from ardoise.einvoice.validation import (
    ValidationIssue,
    ValidationReport,
    validate_cii,
    validate_facturx_pdf,
    validate_ubl,
    warm_up,
)

__all__ = [
    "InconsistentDocumentError",
    "InvoiceFileError",
    "ParsedInvoice",
    "ParsedLine",
    "ParsedTotals",
    "ValidationIssue",
    "ValidationReport",
    "build_cii_xml",
    "build_ubl_xml",
    "business_process_for",
    "document_from_parsed",
    "electronic_address",
    "parse_invoice_file",
    "total_differences",
    "validate_cii",
    "validate_facturx_pdf",
    "validate_ubl",
    "warm_up",
]
