"""The lines of the invoices made from a quote.

A full invoice copies the quote. A deposit invoice has one line per VAT
rate, « Acompte de 30 % sur le devis D-2026-0007 ». A progress invoice
(facture de situation) has one line per quote line, charging this step's
part and stating the cumulative percentage, the amount to date and what
earlier situations charged. The quote's document discount follows as one
allowance per VAT rate. A final invoice copies the quote, then deducts each
earlier deposit or progress invoice with one negative line per VAT rate.

The quote's document discount and its allowances and charges on the total
(``Quote.document_adjustments``) become fixed amounts per VAT rate on the
invoices that carry negative or partial lines, because a percentage would
apply to the deductions too. A full invoice copies them unchanged.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount, format_date, format_rate
from ardoise.core.money import ZERO, Adjustment, VatKey, compute_totals, percent_of, quantize
from ardoise.invoicing.documents import adjustment_to_json, document_line, draft_adjustments
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.quotes.allocation import Amounts, Progress, ProgressItem, Step
from ardoise.quotes.models import Quote, QuoteLine

# Line fields an invoice line copies from a quote line.
COPIED_LINE_FIELDS = (
    "product",
    "name",
    "description",
    "is_service",
    "quantity",
    "unit",
    "unit_price",
    "gross_price",
    "base_quantity",
    "vat_rate",
    "vat_category",
    "exemption",
    "exemption_text",
    "discount_percent",
    "extra_adjustments",
)


@dataclass(frozen=True)
class Deduction:
    """An earlier deposit or progress invoice that a final invoice deducts, per VAT key."""

    number: str
    issue_date: datetime.date | None
    is_deposit: bool
    amounts: dict[VatKey, Amounts]
    credit_notes: tuple[str, ...] = ()


def quote_draft(quote: Quote) -> Invoice:
    """Return an unsaved invoice draft for the quote's customer and currency."""
    return Invoice(
        organisation=quote.organisation,
        customer=quote.customer,
        currency=quote.currency,
    )


def copied_line(line: QuoteLine) -> InvoiceLine:
    return InvoiceLine(**{name: getattr(line, name) for name in COPIED_LINE_FIELDS})


def _key_line(quote: Quote, key: VatKey, name: str, price: Decimal, quantity: Decimal = Decimal("1")) -> InvoiceLine:
    """Return a line of one VAT key, with the exemption and nature of the quote's lines of that key.

    A key may come only from a charge on the total (transport at 0 %, say):
    the line then takes the exemption typed on that charge.
    """
    same_key = [line for line in quote.lines.all() if VatKey(line.vat_category, line.vat_rate) == key]
    model = same_key[0] if same_key else None
    return InvoiceLine(
        name=name,
        quantity=quantity,
        unit="C62",
        unit_price=price,
        vat_rate=key.rate,
        vat_category=key.category,
        exemption=model.exemption if model else adjustment_exemption(quote, key),
        exemption_text=model.exemption_text if model else "",
        is_service=any(line.is_service for line in same_key) if same_key else True,
    )


def adjustment_exemption(quote: Quote, key: VatKey) -> str:
    """Return the exemption typed on the quote's allowances or charges of ``key``, or ""."""
    for raw in quote.document_adjustments:
        exemption = raw.get("exemption", "")
        rate = raw.get("vat_rate")
        if exemption and rate is not None and VatKey(raw.get("vat_category", ""), Decimal(str(rate))) == key:
            return str(exemption)
    return ""


def _with_exemption(quote: Quote, adjustment: Adjustment) -> dict[str, Any]:
    """Return the adjustment as stored on an invoice, with the exemption the quote gives its 0 % key.

    The exemption key lets the invoice state the reason of a 0 % charge that
    has no line at its rate (see ``adjustment_exemptions``).
    """
    raw = adjustment_to_json(adjustment)
    if adjustment.vat is not None and not adjustment.vat.rate:
        raw["exemption"] = adjustment_exemption(quote, adjustment.vat)
    return raw


def deposit_lines(quote: Quote, step: Step, percent: Decimal | None) -> list[InvoiceLine]:
    if percent is not None:
        name = _("Acompte de %(percent)s sur le devis %(number)s") % {
            "percent": format_rate(percent),
            "number": quote.number,
        }
    else:
        name = _("Acompte sur le devis %(number)s") % {"number": quote.number}
    return [_key_line(quote, key, name, amounts.base) for key, amounts in step.amounts.items()]


# Progress invoices


def _quote_adjustments(quote: Quote) -> list[tuple[Adjustment, Decimal]]:
    """Return the quote's document-level allowances and charges with their resolved amounts."""
    places = quote.places
    lines = [document_line(line, places) for line in quote.lines.all()]  # type: ignore[arg-type]
    allowances, charges = draft_adjustments(quote, lines, places)  # type: ignore[arg-type]
    totals = compute_totals((line.to_money_line() for line in lines), allowances, charges, places=places)
    return list(zip(allowances, totals.allowance_amounts, strict=True)) + list(
        zip(charges, totals.charge_amounts, strict=True)
    )


def progress_items(quote: Quote, states: list[list[dict[str, str]]]) -> tuple[list[ProgressItem], list[int | None]]:
    """Return the quote's progress items with what earlier progress invoices charged, and their line ids.

    ``states`` are the ``progress`` rows of the earlier progress invoices
    that no credit note touched. Each row's ``step`` adds to the item's
    invoiced amount, and its ``percent`` is the cumulative percentage reached.
    """
    invoiced: dict[str, Decimal] = {}
    reached: dict[str, Decimal] = {}
    for rows in states:
        for row in rows:
            invoiced[row["item"]] = invoiced.get(row["item"], ZERO) + Decimal(row["step"])
            reached[row["item"]] = max(reached.get(row["item"], ZERO), Decimal(row["percent"]))

    places = quote.places
    items: list[ProgressItem] = []
    line_ids: list[int | None] = []
    for line in quote.lines.all():
        item_id = "line:%s" % line.pk
        amount = document_line(line, places).net_amount  # type: ignore[arg-type]
        key = VatKey(line.vat_category, line.vat_rate)
        items.append(ProgressItem(key, amount, invoiced.get(item_id, ZERO), reached.get(item_id, ZERO), line.name))
        line_ids.append(line.pk)
    for index, (adjustment, amount) in enumerate(_quote_adjustments(quote)):
        assert adjustment.vat is not None
        item_id = "adjustment:%s" % index
        signed = amount if adjustment.is_charge else -amount
        label = adjustment.reason or _("Remise globale")
        items.append(ProgressItem(adjustment.vat, signed, invoiced.get(item_id, ZERO), ZERO, label, follows_key=True))
        line_ids.append(None)
    return items, line_ids


def progress_draft(
    quote: Quote, progress: Progress
) -> tuple[list[InvoiceLine], list[dict[str, Any]], list[dict[str, str]]]:
    """Return the lines, document adjustments and cumulative state of a progress invoice."""
    quote_lines = list(quote.lines.all())
    lines: list[InvoiceLine] = []
    adjustments: list[dict[str, Any]] = []
    state: list[dict[str, str]] = []
    places = quote.places
    line_index = 0
    adjustment_index = 0
    for row in progress.lines:
        item = row.item
        if item.follows_key:
            item_id = "adjustment:%s" % adjustment_index
            adjustment_index += 1
            if row.step:
                adjustments.append(_progress_adjustment(quote, item, row.step))
        else:
            quote_line = quote_lines[line_index]
            item_id = "line:%s" % quote_line.pk
            line_index += 1
            lines.append(_progress_line(quote, quote_line, row.percent, row.to_date, row.step, places))
        state.append(
            {
                "item": item_id,
                "label": item.label,
                "percent": str(row.percent),
                "to_date": str(row.to_date),
                "step": str(row.step),
            }
        )
    return lines, adjustments, state


def _progress_line(
    quote: Quote, quote_line: QuoteLine, percent: Decimal, to_date: Decimal, step: Decimal, places: int
) -> InvoiceLine:
    previous = to_date - step
    situation = _(
        "Avancement cumulé %(percent)s, soit %(to_date)s HT ; déjà facturé en situations précédentes : %(previous)s HT"
    ) % {
        "percent": format_rate(percent),
        "to_date": format_amount(to_date, quote.currency),
        "previous": format_amount(previous, quote.currency),
    }
    description = "\n".join(part for part in (quote_line.description, situation) if part)
    line = copied_line(quote_line)
    line.description = description
    line.quantity = Decimal("1") if step >= 0 else Decimal("-1")
    line.unit = "C62"
    line.base_quantity = Decimal("1")
    line.unit_price = abs(step)
    line.gross_price = None
    line.discount_percent = ZERO
    line.extra_adjustments = []
    gross_step = _gross_step(quote_line, percent, previous, places)
    if step > 0 and gross_step is not None and gross_step > step:
        # The line's discount stays visible as a price discount (BT-147 = gross - net).
        line.gross_price = gross_step
    return line


def _gross_step(quote_line: QuoteLine, percent: Decimal, previous_net: Decimal, places: int) -> Decimal | None:
    """Return this step's part of the line's amount before its discount, or None when it has none."""
    money_line = document_line(quote_line, places).to_money_line()  # type: ignore[arg-type]
    if not money_line.adjustments:
        return None
    gross = quantize(money_line.gross_amount(), places)
    net = money_line.net_amount(places)
    if not net:
        return None
    # The earlier situations reached previous_net of the net amount, the same share of the gross amount.
    previous_gross = quantize(gross * previous_net / net, places)
    return percent_of(gross, percent, places) - previous_gross


def _progress_adjustment(quote: Quote, item: ProgressItem, step: Decimal) -> dict[str, Any]:
    adjustment = Adjustment(
        is_charge=step > 0,
        amount=abs(step),
        reason=item.label,
        reason_code="" if step > 0 else "95",
        vat=item.key,
    )
    return _with_exemption(quote, adjustment)


# Full and final invoices


def full_draft(quote: Quote, invoice: Invoice) -> tuple[list[InvoiceLine], list[dict[str, Any]]]:
    """Return copies of the quote's lines and of its allowances and charges on the total, same totals.

    The invoice also takes the quote's document discount.
    """
    invoice.discount_kind = quote.discount_kind
    invoice.discount_value = quote.discount_value
    invoice.discount_reason = quote.discount_reason
    adjustments = [dict(raw) for raw in quote.document_adjustments]
    return [copied_line(line) for line in quote.lines.all()], adjustments


def final_draft(quote: Quote, deductions: tuple[Deduction, ...]) -> tuple[list[InvoiceLine], list[dict[str, Any]]]:
    """Return the quote's lines, then one negative line per deduction and VAT key, and the adjustments.

    The adjustments are the quote's document discount and its allowances and
    charges on the total, each as a fixed amount.
    """
    lines = [copied_line(line) for line in quote.lines.all()]
    adjustments = [
        _with_exemption(
            quote,
            Adjustment(
                is_charge=adjustment.is_charge,
                amount=amount,
                reason=adjustment.reason,
                reason_code=adjustment.reason_code,
                vat=adjustment.vat,
            ),
        )
        for adjustment, amount in _quote_adjustments(quote)
    ]
    for deduction in deductions:
        for key, amounts in deduction.amounts.items():
            if not amounts.base:
                continue
            line = _key_line(quote, key, deduction_name(deduction), abs(amounts.base))
            line.quantity = Decimal("-1") if amounts.base > 0 else Decimal("1")
            if deduction.credit_notes:
                line.description = _("Montant restant après les avoirs %(numbers)s") % {
                    "numbers": ", ".join(deduction.credit_notes)
                }
            lines.append(line)
    return lines, adjustments


def deduction_name(deduction: Deduction) -> str:
    """Return « Déduction facture d'acompte FA-2026-0012 du 03/02/2026 » or its progress invoice twin."""
    values = {
        "number": deduction.number,
        "date": format_date(deduction.issue_date) if deduction.issue_date else "",
    }
    if deduction.is_deposit:
        return _("Déduction facture d'acompte %(number)s du %(date)s") % values
    return _("Déduction facture de situation %(number)s du %(date)s") % values
