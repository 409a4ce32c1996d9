"""Receive a supplier's e-invoice: check the file, read it, validate it in three layers, and keep it.

The file goes through the same reader as an imported invoice: Factur-X PDF,
CII or UBL, XML parsed without DTD or entities. It is validated like the
invoices Ardoise issues: the XML schema, the EN 16931 rules and, between two
French businesses, the French rules. An invalid invoice is still kept, with
its errors, because it was received and must be archived. Its page lists
the errors to send back to the supplier.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.audit.services import record
from ardoise.core.formats import format_date
from ardoise.einvoice.attachment import looks_like_pdf
from ardoise.einvoice.errors import InvoiceFileError
from ardoise.einvoice.parse import CII_ROOT, ParsedInvoice, document_from_parsed, parse_invoice_file
from ardoise.einvoice.validation import ValidationReport, validate_cii, validate_facturx_pdf, validate_ubl
from ardoise.einvoice.xmlsafe import parse_untrusted_xml
from ardoise.invoicing.importing import describe_total_gaps
from ardoise.purchases.models import Source, SupplierInvoice

logger = logging.getLogger(__name__)

# An e-invoice is rarely over a few hundred KB; a Factur-X PDF with a scanned annex a few MB.
MAX_FILE_BYTES = 20 * 1024 * 1024
ZERO = Decimal("0.00")


class ReceiveError(Exception):
    """A file that is not kept, with a French message naming it and the fix."""

    def __init__(self, message: str, existing: SupplierInvoice | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.existing = existing


def receive(
    organisation: Any, data: bytes, filename: str, *, source: str = Source.UPLOAD, user: Any = None, request: Any = None
) -> SupplierInvoice:
    """Read, validate and store a supplier invoice file; raise ``ReceiveError`` for a file that is not kept."""
    if len(data) > MAX_FILE_BYTES:
        raise ReceiveError(
            _(
                "Le fichier « %(name)s » fait plus de 20 Mo : une facture électronique est bien plus légère. "
                "Vérifiez le fichier."
            )
            % {"name": filename}
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = SupplierInvoice.objects.filter(organisation=organisation, sha256=digest).first()
    if existing is not None:
        raise _duplicate(filename, existing)
    try:
        parsed = parse_invoice_file(data, filename)
    except InvoiceFileError as error:
        raise ReceiveError(error.message) from None

    file_format, report = _validate(data, filename, parsed)
    warnings = _warnings(organisation, parsed)
    totals = parsed.totals
    invoice = SupplierInvoice(
        organisation=organisation,
        filename=filename[:255],
        content=data,
        sha256=digest,
        file_format=file_format,
        source=source,
        received_by=user if getattr(user, "is_authenticated", False) else None,
        supplier_name=parsed.seller.name[:200] or _("Fournisseur sans nom"),
        supplier_siren=parsed.seller.siren[:9],
        supplier_vat_number=parsed.seller.vat_number[:20],
        number=parsed.number[:100],
        type_code=parsed.type_code,
        issue_date=parsed.issue_date,
        due_date=parsed.due_date,
        currency=parsed.currency,
        total_without_vat=totals.tax_exclusive or ZERO,
        total_vat=totals.tax_total or ZERO,
        total_with_vat=totals.tax_inclusive or ZERO,
        amount_due=totals.due if totals.due is not None else totals.tax_inclusive or ZERO,
        details=_details(parsed),
        validation=_report_json(report),
        warnings=warnings,
    )
    try:
        with transaction.atomic():
            invoice.save()
            record(
                organisation,
                "supplier_invoice.received",
                invoice,
                user=user,
                request=request,
                data={"file": filename, "number": invoice.number, "valid": report.ok},
            )
    except IntegrityError:
        # The same file arrived twice at once: the other request kept it.
        raise _duplicate(filename, SupplierInvoice.objects.get(organisation=organisation, sha256=digest)) from None
    logger.info("supplier invoice received organisation=%s invoice=%s valid=%s", organisation.pk, invoice.pk, report.ok)
    return invoice


def mark_paid(
    invoice: SupplierInvoice,
    date: datetime.date,
    method: str,
    reference: str = "",
    *,
    user: Any = None,
    request: Any = None,
) -> None:
    with transaction.atomic():
        SupplierInvoice.objects.filter(pk=invoice.pk).update(
            paid_on=date, payment_method=method, payment_reference=reference
        )
        record(
            invoice.organisation, "supplier_invoice.paid", invoice, user=user, request=request, data={"date": str(date)}
        )
    invoice.paid_on, invoice.payment_method, invoice.payment_reference = date, method, reference


def mark_unpaid(invoice: SupplierInvoice, *, user: Any = None, request: Any = None) -> None:
    with transaction.atomic():
        SupplierInvoice.objects.filter(pk=invoice.pk).update(paid_on=None, payment_method="", payment_reference="")
        record(invoice.organisation, "supplier_invoice.unpaid", invoice, user=user, request=request)
    invoice.paid_on, invoice.payment_method, invoice.payment_reference = None, "", ""


def _duplicate(filename: str, existing: SupplierInvoice) -> ReceiveError:
    return ReceiveError(
        _("Le fichier « %(name)s » a déjà été reçu le %(date)s : facture %(number)s de %(supplier)s.")
        % {
            "name": filename,
            "date": format_date(timezone.localdate(existing.received_at)),
            "number": existing.number,
            "supplier": existing.supplier_name,
        },
        existing,
    )


def _validate(data: bytes, filename: str, parsed: ParsedInvoice) -> tuple[str, ValidationReport]:
    french = parsed.seller.address.country_code == "FR" and parsed.buyer.address.country_code == "FR"
    if looks_like_pdf(data):
        return "facturx", validate_facturx_pdf(data, filename=filename)
    root = parse_untrusted_xml(data, filename)
    if root.tag == CII_ROOT:
        return "cii", validate_cii(data, filename=filename, french_rules=french)
    return "ubl", validate_ubl(data, filename=filename, french_rules=french)


def _warnings(organisation: Any, parsed: ParsedInvoice) -> list[str]:
    warnings = [str(warning) for warning in parsed.warnings]
    buyer = parsed.buyer
    if buyer.siren and organisation.siren and buyer.siren != organisation.siren:
        warnings.append(
            _("L'acheteur de cette facture (SIREN %(buyer)s) n'est pas votre entreprise (SIREN %(own)s).")
            % {"buyer": buyer.siren, "own": organisation.siren}
        )
    try:
        computed = document_from_parsed(parsed).totals()
    except InvoiceFileError:
        return warnings
    gaps = describe_total_gaps(parsed, computed)
    warnings += [_("Écart de calcul dans la facture : %(gap)s.") % {"gap": gap} for gap in gaps]
    return warnings


def _details(parsed: ParsedInvoice) -> dict[str, Any]:
    return {
        "lines": [
            {
                "name": item.line.name,
                "quantity": str(item.line.quantity),
                "unit": item.line.unit_label or item.line.unit_code,
                "net_price": str(item.line.net_price),
                "vat_rate": str(item.line.vat_rate),
                "net_amount": str(item.line.net_amount),
            }
            for item in parsed.lines
        ],
        "vat": [
            {
                "category": row.key.category,
                "rate": str(row.key.rate),
                "base": str(row.taxable_amount),
                "tax": str(row.tax_amount),
            }
            for row in parsed.totals.breakdown
        ],
        "payment": {
            "iban": parsed.iban,
            "bic": parsed.bic,
            "reference": parsed.payment_reference,
            "terms": parsed.payment_terms,
        },
        "profile": parsed.profile_name,
    }


def _report_json(report: ValidationReport) -> dict[str, Any]:
    def issue(item: Any) -> dict[str, str]:
        return {"rule": item.rule, "layer": item.layer, "message": item.message}

    return {
        "ok": report.ok,
        "layers": list(report.layers),
        "errors": [issue(item) for item in report.errors],
        "warnings": [issue(item) for item in report.warnings],
    }
