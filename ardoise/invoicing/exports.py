"""Files built on request from an issued invoice's stored snapshot."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from ardoise.einvoice.ubl import build_ubl_xml
from ardoise.einvoice.validation import french_rules_apply, validate_ubl
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.presentation import issued_document

logger = logging.getLogger(__name__)


def issued_ubl(invoice: Invoice) -> bytes:
    """Build the UBL 2.1 XML of an issued invoice and validate it like the CII.

    The UBL is not stored: it is built again from the snapshot, so the same
    invoice gives the same bytes on every call. Raises ``InvoicingError`` when
    it fails validation, which would be a defect of the UBL writer since the
    same snapshot passed as CII when the invoice was issued.
    """
    document = issued_document(invoice)
    xml = build_ubl_xml(document)
    report = validate_ubl(xml, french_rules=french_rules_apply(document))
    if not report.ok:
        logger.error(
            "UBL export failed validation organisation=%s invoice=%s rules=%s",
            invoice.organisation_id,
            invoice.pk,
            sorted(report.rules),
        )
        raise InvoicingError(
            _(
                "Le XML UBL de la facture %(number)s ne respecte pas les règles de la facture électronique. "
                "Utilisez le PDF Factur-X ou le XML CII, contrôlés à l'émission, et signalez ce problème "
                "à l'administrateur d'Ardoise."
            )
            % {"number": invoice.number},
            details=report.messages(),
        )
    return xml
