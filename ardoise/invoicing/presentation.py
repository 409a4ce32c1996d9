"""What the invoice screens show: lines, discounts and the VAT breakdown of a draft or an issued invoice.

A draft is summarised from its current lines; an issued invoice from its
stored snapshot, so that the screen shows exactly what was issued even after
the customer or the catalogue changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from ardoise.core.document import DocumentLine, InvoiceDocument, VatExemption
from ardoise.core.money import Totals, quantize
from ardoise.core.vat import EXEMPTIONS
from ardoise.invoicing.documents import document_line, draft_totals
from ardoise.invoicing.models import Invoice, InvoiceLine

ZERO = Decimal("0")
PLACES = 2

# Anything but letters, digits, dots, dashes and underscores, e.g. the "/" of "F/2026/12".
_UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class LineRow:
    line: DocumentLine
    discount_percent: Decimal


@dataclass(frozen=True)
class VatRow:
    """One row of the VAT summary, with the exemption wording of a 0 % rate."""

    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption: str


@dataclass(frozen=True)
class InvoiceSummary:
    rows: tuple[LineRow, ...]
    totals: Totals
    line_discounts: Decimal  # sum of the line-level discounts, before the document discount
    gross_total: Decimal  # line amounts before their discounts
    vat_rows: tuple[VatRow, ...]
    currency: str

    @property
    def has_discounts(self) -> bool:
        return bool(self.line_discounts or self.totals.allowance_total)


def summarise(
    lines: Iterable[DocumentLine], totals: Totals, exemptions: Iterable[VatExemption], currency: str
) -> InvoiceSummary:
    lines = tuple(lines)
    gross_total = sum((quantize(line.to_money_line().gross_amount(), PLACES) for line in lines), ZERO)
    reasons = {(exemption.category, exemption.rate.normalize()): exemption.reason for exemption in exemptions}
    vat_rows = tuple(
        VatRow(
            category=row.key.category,
            rate=row.key.rate,
            taxable_amount=row.taxable_amount,
            tax_amount=row.tax_amount,
            exemption=reasons.get((row.key.category, row.key.rate.normalize()), ""),
        )
        for row in totals.breakdown
    )
    return InvoiceSummary(
        rows=tuple(LineRow(line, _discount_percent(line)) for line in lines),
        totals=totals,
        line_discounts=gross_total - totals.line_total,
        gross_total=gross_total,
        vat_rows=vat_rows,
        currency=currency,
    )


def _discount_percent(line: DocumentLine) -> Decimal:
    return sum((allowance.percent or ZERO for allowance in line.allowances), ZERO)


def draft_summary(invoice: Invoice, lines: Iterable[InvoiceLine] | None = None) -> InvoiceSummary:
    """Summarise a draft from its stored lines, or from ``lines`` of a form not saved yet."""
    source = list(invoice.lines.all() if lines is None else lines)
    document_lines = [document_line(line, PLACES) for line in source]
    totals = draft_totals(invoice, source)
    return summarise(document_lines, totals, _draft_exemptions(source), invoice.currency)


def _draft_exemptions(lines: list[InvoiceLine]) -> list[VatExemption]:
    exemptions = []
    for line in lines:
        if line.vat_category == "S":
            continue
        known = EXEMPTIONS.get(line.exemption)
        reason = line.exemption_text or (str(known.wording) if known else "")
        exemptions.append(VatExemption(line.vat_category, line.vat_rate, reason))
    return exemptions


def issued_summary(invoice: Invoice) -> InvoiceSummary:
    document = issued_document(invoice)
    return summarise(document.lines, document.totals(), document.vat_exemptions, document.currency)


def issued_document(invoice: Invoice) -> InvoiceDocument:
    return InvoiceDocument.from_json(invoice.document or {})


def invoice_summary(invoice: Invoice) -> InvoiceSummary:
    return draft_summary(invoice) if invoice.is_draft else issued_summary(invoice)


def invoice_filename(number: str, extension: str) -> str:
    """Return the file name of an issued invoice's PDF or XML, e.g. "Facture-F-2026-0001.pdf"."""
    safe_number = _UNSAFE_FILENAME_CHARACTERS.sub("-", number).strip("-")
    return _("Facture-%(number)s.%(extension)s") % {"number": safe_number, "extension": extension}
