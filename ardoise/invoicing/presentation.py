"""What the invoice screens show: lines, discounts and the VAT breakdown of a draft or an issued invoice.

A draft is summarised from its current lines. An issued invoice is summarised
from its stored snapshot, so that the screen shows exactly what was issued even
after the customer or the catalogue changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.translation import gettext as _

from ardoise.core.document import DocumentLine, InvoiceDocument, VatExemption
from ardoise.core.formats import format_amount, format_iban
from ardoise.core.money import Adjustment, Totals, currency_decimals, quantize
from ardoise.core.sepa_qr import document_epc_qr_svg, svg_data_uri
from ardoise.core.vat import EXEMPTIONS
from ardoise.invoicing.documents import (
    adjustment_exemptions,
    adjustment_from_json,
    combine_exemptions,
    document_line,
    draft_adjustments,
    draft_totals,
    merge_exemptions,
    vat_total_in_euros,
)
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceLine

ZERO = Decimal("0")

# Anything but letters, digits, dots, dashes and underscores, e.g. the "/" of "F/2026/12".
_UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class AdjustmentRow:
    """An allowance or a charge as the screens list it."""

    label: str
    is_charge: bool
    amount: Decimal | None  # unsigned, or None when only a percentage is known
    percent: Decimal | None = None
    imported: bool = False  # read from an e-invoice file and not editable in Ardoise, as a line's terms


@dataclass(frozen=True)
class LineTerms:
    """The base quantity, allowances, charges and exemption reason that an imported line adds to the editor's fields."""

    base_quantity: Decimal | None  # BT-149 when the price is for several units, else None
    adjustments: tuple[AdjustmentRow, ...]
    exemption_text: str = ""  # the file's exemption reason, when it differs from the chosen one's wording


@dataclass(frozen=True)
class LineRow:
    line: DocumentLine
    discount_percent: Decimal  # the percentage discounts, shown in the « Remise » column
    extras: tuple[AdjustmentRow, ...] = ()  # every other allowance or charge, listed under the line

    @property
    def base_quantity(self) -> Decimal | None:
        """Return the number of units the price is for (BT-149), or None for a price per unit."""
        return None if self.line.base_quantity == 1 else self.line.base_quantity


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
    line_discounts: Decimal  # sum of the line-level allowances
    line_charges: Decimal  # sum of the line-level charges
    gross_total: Decimal  # line amounts before their allowances and charges
    vat_rows: tuple[VatRow, ...]
    currency: str
    document_rows: tuple[AdjustmentRow, ...] = ()  # document discount, allowances and charges
    vat_total_eur: Decimal | None = None  # BT-111, for an invoice in another currency with its exchange rate
    exchange_rate: Decimal | None = None  # euros for one unit of ``currency``

    @property
    def has_adjustments(self) -> bool:
        return bool(self.line_discounts or self.line_charges or self.document_rows)


def summarise(
    lines: Iterable[DocumentLine],
    totals: Totals,
    exemptions: Iterable[VatExemption],
    currency: str,
    document_rows: tuple[AdjustmentRow, ...] = (),
) -> InvoiceSummary:
    lines = tuple(lines)
    places = currency_decimals(currency)
    gross_total = sum((_gross(line, places) for line in lines), ZERO)
    line_rows = tuple(_line_row(line, places) for line in lines)
    line_charges = sum((extra.amount or ZERO for row in line_rows for extra in row.extras if extra.is_charge), ZERO)
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
        rows=line_rows,
        totals=totals,
        # Each line amount is its rounded gross amount plus its rounded charges minus its rounded allowances.
        line_discounts=gross_total + line_charges - totals.line_total,
        line_charges=line_charges,
        gross_total=gross_total,
        vat_rows=vat_rows,
        currency=currency,
        document_rows=document_rows,
    )


def _gross(line: DocumentLine, places: int) -> Decimal:
    return quantize(line.to_money_line().gross_amount(), places)


def is_percentage_discount(adjustment: Adjustment) -> bool:
    """Tell whether an allowance is a plain percentage of the line, as the editor's « Remise (%) » field makes.

    EN 16931 requires the amount of every allowance and charge in a file
    (BT-136, BT-141), so an imported one has an amount and is listed by its
    reason instead.
    """
    return (
        not adjustment.is_charge
        and adjustment.percent is not None
        and adjustment.amount is None
        and adjustment.base is None
    )


def adjustment_label(adjustment: Adjustment) -> str:
    return adjustment.reason or (_("Frais") if adjustment.is_charge else _("Remise"))


def _line_row(line: DocumentLine, places: int) -> LineRow:
    gross = _gross(line, places)
    percentages = [a for a in line.allowances if is_percentage_discount(a)]
    others = [a for a in (*line.allowances, *line.charges) if not is_percentage_discount(a)]
    return LineRow(
        line=line,
        discount_percent=sum((a.percent or ZERO for a in percentages), ZERO),
        extras=tuple(
            AdjustmentRow(adjustment_label(a), a.is_charge, a.resolve(gross, places), a.percent) for a in others
        ),
    )


def document_adjustment_rows(
    adjustments: Iterable[Adjustment], amounts: Iterable[Decimal], imported: Iterable[bool]
) -> tuple[AdjustmentRow, ...]:
    """List the document-level allowances and charges, one row per reason.

    EN 16931 splits a document discount into one allowance per VAT rate, but
    the customer was granted one discount: its parts are added up on one row.
    """
    merged: dict[tuple[bool, str, bool], Decimal] = {}
    for adjustment, amount, from_file in zip(adjustments, amounts, imported, strict=True):
        key = (adjustment.is_charge, adjustment_label(adjustment), from_file)
        merged[key] = merged.get(key, ZERO) + amount
    return tuple(
        AdjustmentRow(label, is_charge, amount, imported=from_file)
        for (is_charge, label, from_file), amount in merged.items()
    )


def imported_line_terms(line: InvoiceLine) -> LineTerms | None:
    """Describe the base quantity, allowances, charges and exemption reason of an imported line.

    Returns None for a line without any. An amount stated in the file is shown
    as it is. An allowance given only as a percentage is shown as that
    percentage, because its amount changes with the quantity typed in the editor.
    """
    base_quantity = line.base_quantity if line.base_quantity not in (None, 1) else None
    places = currency_decimals(line.invoice.currency)
    adjustments = tuple(_imported_row(adjustment_from_json(raw), places) for raw in line.extra_adjustments)
    known = EXEMPTIONS.get(line.exemption)
    exemption_text = line.exemption_text if known is None or line.exemption_text != str(known.wording) else ""
    if base_quantity is None and not adjustments and not exemption_text:
        return None
    return LineTerms(base_quantity=base_quantity, adjustments=adjustments, exemption_text=exemption_text)


def _imported_row(adjustment: Adjustment, places: int) -> AdjustmentRow:
    amount = None if adjustment.amount is None else quantize(adjustment.amount, places)
    return AdjustmentRow(adjustment_label(adjustment), adjustment.is_charge, amount, adjustment.percent, imported=True)


def draft_summary(invoice: Invoice, lines: Iterable[InvoiceLine] | None = None) -> InvoiceSummary:
    """Summarise a draft from its stored lines, or from ``lines`` of a form not saved yet."""
    source = list(invoice.lines.all() if lines is None else lines)
    document_lines = [document_line(line, currency_decimals(invoice.currency)) for line in source]
    totals = draft_totals(invoice, source)
    exemptions = merge_exemptions(
        invoice, combine_exemptions((*_draft_exemptions(source), *adjustment_exemptions(invoice)))
    )
    summary = summarise(
        document_lines, totals, exemptions, invoice.currency, _draft_document_rows(invoice, document_lines, totals)
    )
    vat_total_eur = vat_total_in_euros(invoice, totals.tax_total)
    exchange_rate = invoice.exchange_rate if vat_total_eur is not None else None
    return replace(summary, vat_total_eur=vat_total_eur, exchange_rate=exchange_rate)


def _draft_document_rows(invoice: Invoice, lines: list[DocumentLine], totals: Totals) -> tuple[AdjustmentRow, ...]:
    allowances, charges = draft_adjustments(invoice, lines, currency_decimals(invoice.currency))
    # Imported allowances and charges are editable rows like typed ones, so none is marked as imported.
    adjustments = (*allowances, *charges)
    return document_adjustment_rows(
        adjustments, (*totals.allowance_amounts, *totals.charge_amounts), [False] * len(adjustments)
    )


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
    totals = document.totals()
    adjustments = (*document.allowances, *document.charges)
    rows = document_adjustment_rows(
        adjustments, (*totals.allowance_amounts, *totals.charge_amounts), [False] * len(adjustments)
    )
    summary = summarise(document.lines, totals, document.vat_exemptions, document.currency, rows)
    return replace(summary, vat_total_eur=document.vat_total_eur, exchange_rate=document.exchange_rate)


def issued_document(invoice: Invoice) -> InvoiceDocument:
    return InvoiceDocument.from_json(invoice.document or {})


def invoice_summary(invoice: Invoice) -> InvoiceSummary:
    return draft_summary(invoice) if invoice.is_draft else issued_summary(invoice)


@dataclass(frozen=True)
class PaymentQr:
    """The SEPA QR code shown on an issued invoice's page."""

    image_uri: str  # the SVG as a data: URI, which the CSP's img-src allows
    description: str  # the image's text alternative


def payment_qr(invoice: Invoice, document: InvoiceDocument, balance: Decimal) -> PaymentQr | None:
    """Return the SEPA QR code asking for the invoice's balance, or None when nothing is to be paid by transfer.

    The page is live, so the code asks for the balance left after payments and
    credit notes, unlike the issued PDF, which keeps the amount due at issue.
    The IBAN and the reference are the issued document's, as on its PDF.
    """
    if invoice.is_draft or invoice.is_credit_note or balance <= 0:
        return None
    svg = document_epc_qr_svg(document, balance)
    if svg is None:
        return None
    description = _("QR code de virement SEPA : %(amount)s sur l'IBAN %(iban)s, référence %(reference)s") % {
        "amount": format_amount(balance, document.currency),
        "iban": format_iban(document.iban),
        "reference": document.payment_reference or document.number,
    }
    return PaymentQr(image_uri=svg_data_uri(svg), description=description)


def invoice_filename(number: str, extension: str, type_code: str = DocumentType.INVOICE) -> str:
    """Return the file name of an issued document's PDF or XML, e.g. "Facture-F-2026-0001.pdf".

    A credit note's file is named "Avoir-…".
    """
    safe_number = _UNSAFE_FILENAME_CHARACTERS.sub("-", number).strip("-")
    if type_code == DocumentType.CREDIT_NOTE:
        return _("Avoir-%(number)s.%(extension)s") % {"number": safe_number, "extension": extension}
    return _("Facture-%(number)s.%(extension)s") % {"number": safe_number, "extension": extension}
