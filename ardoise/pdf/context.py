"""The data an invoice template prints, built from an ``InvoiceDocument``.

Every value is already formatted the French way, so that a template only lays
text out and never computes or formats a number. The same context feeds the
Typst template and any other renderer (the benchmark's HTML route uses it).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

from ardoise.core.document import Address, DocumentLine, InvoiceDocument, InvoiceReference, Party
from ardoise.core.formats import (
    format_amount,
    format_date,
    format_iban,
    format_quantity,
    format_rate,
    format_unit_price,
)
from ardoise.core.forms import country_name
from ardoise.core.money import Adjustment, Totals, VatBreakdown, currency_decimals, quantize
from ardoise.pdf import labels

# VAT categories printed with their rate. The other categories are printed by name.
RATED_CATEGORIES = {"S", "Z", "L", "M"}

# A line's description is printed in parts, one table row each, and a row never splits across two
# pages. A part of at most 15 lines and 1,000 characters wraps to about 36 printed lines in the
# narrowest column: always less than a page, so no row runs off one.
DESCRIPTION_PART_LINES = 15
DESCRIPTION_PART_CHARACTERS = 1000


def invoice_context(doc: InvoiceDocument) -> dict[str, Any]:
    """Build the invoice's printable data in the document's own language."""
    with translation.override(doc.language):
        totals = doc.totals()
        mentions = list(doc.legal_mentions)
        return {
            "lang": doc.language,
            "labels": labels.invoice_labels(doc.type_code),
            "metadata": document_metadata(doc),
            "title": labels.document_title(doc.type_code),
            "number": doc.number,
            "reference": credit_note_reference(doc),
            "facts": _header_facts(doc),
            "seller": party_block(doc.seller),
            "buyer": party_block(doc.buyer),
            "delivery": _delivery_address(doc),
            "lines": [_line(line, doc.currency) for line in doc.lines],
            "vat_rows": [_vat_row(doc, row, mentions) for row in totals.breakdown],
            "totals": _total_rows(doc, totals),
            "due": format_amount(totals.due, doc.currency),
            "payment": _payment(doc),
            # The snapshot repeats the legal notes in its mentions, so each text is printed once.
            "notes": [note.text for note in doc.notes if note.text and note.text not in mentions],
            "legal_mentions": mentions,
        }


def document_metadata(doc: InvoiceDocument) -> dict[str, str]:
    """Return the PDF title, author and subject, shared by the renderer and the Factur-X step."""
    with translation.override(doc.language):
        title = f"{labels.document_title(doc.type_code)} {doc.number}"
        subject = _("%(title)s du %(date)s, client : %(buyer)s") % {
            "title": title,
            "date": format_date(doc.issue_date),
            "buyer": doc.buyer.name,
        }
        return {"title": title, "author": doc.seller.name, "subject": subject}


def _header_facts(doc: InvoiceDocument) -> list[list[str]]:
    facts = [[_("Date d'émission"), format_date(doc.issue_date)]]
    if doc.due_date:
        facts.append([_("Échéance"), format_date(doc.due_date)])
    if doc.delivery_date:
        label = _("Date d'exécution") if doc.business_process.startswith("S") else _("Date de livraison")
        facts.append([label, format_date(doc.delivery_date)])
    if doc.preceding_invoice:
        label = _("Facture d'origine") if doc.type_code == labels.CREDIT_NOTE else _("Remplace la facture")
        facts.append([label, _preceding_invoice(doc)])
    if doc.quote_reference:
        facts.append([_("Devis n°"), doc.quote_reference])
    if doc.deducted_invoices:
        facts.append([_("Factures déduites"), ", ".join(_invoice_reference(ref) for ref in doc.deducted_invoices)])
    if doc.purchase_order:
        facts.append([_("Bon de commande"), doc.purchase_order])
    if doc.buyer_reference:
        facts.append([_("Votre référence"), doc.buyer_reference])
    return facts


def credit_note_reference(doc: InvoiceDocument) -> str:
    """Return « Avoir n° X se rapportant à la facture n° Y du JJ/MM/AAAA » for a credit note, else ""."""
    if doc.type_code != labels.CREDIT_NOTE or not doc.preceding_invoice:
        return ""
    if doc.preceding_invoice_date is None:
        return _("Avoir n° %(number)s se rapportant à la facture n° %(invoice)s") % {
            "number": doc.number,
            "invoice": doc.preceding_invoice,
        }
    return _("Avoir n° %(number)s se rapportant à la facture n° %(invoice)s du %(date)s") % {
        "number": doc.number,
        "invoice": doc.preceding_invoice,
        "date": format_date(doc.preceding_invoice_date),
    }


def _invoice_reference(reference: InvoiceReference) -> str:
    if reference.issue_date is None:
        return reference.number
    return _("%(number)s du %(date)s") % {"number": reference.number, "date": format_date(reference.issue_date)}


def _preceding_invoice(doc: InvoiceDocument) -> str:
    if doc.preceding_invoice_date is None:
        return doc.preceding_invoice
    return _("%(number)s du %(date)s") % {
        "number": doc.preceding_invoice,
        "date": format_date(doc.preceding_invoice_date),
    }


def party_block(party: Party) -> dict[str, Any]:
    """Return the name, address and identifiers printed in a party's block."""
    details = address_lines(party.address)
    if party.siret:
        details.append(_("SIRET : %(siret)s") % {"siret": siret_number.format(party.siret)})
    elif party.siren:
        details.append(_("SIREN : %(siren)s") % {"siren": siren_number.format(party.siren)})
    if party.vat_number:
        details.append(_("N° TVA : %(vat_number)s") % {"vat_number": party.vat_number})
    contact = [value for value in (party.email, party.phone, party.website) if value]
    return {"name": party.name, "trading_name": party.trading_name, "details": details, "contact": contact}


def address_lines(address: Address) -> list[str]:
    lines = [address.line1, address.line2, address.line3, f"{address.postcode} {address.city}"]
    # The country is named in the document's language; a code missing from the list prints as is.
    if address.country_code and address.country_code.upper() != "FR":
        lines.append(country_name(address.country_code.upper()))
    return [line.strip() for line in lines if line.strip()]


def _delivery_address(doc: InvoiceDocument) -> list[str]:
    address = doc.delivery_address
    if address is None or address.is_empty() or address == doc.buyer.address:
        return []
    return address_lines(address)


def _line(line: DocumentLine, currency: str) -> dict[str, Any]:
    unit_price = format_unit_price(line.net_price, currency)
    if line.base_quantity != 1:
        unit_price = f"{unit_price} / {format_quantity(line.base_quantity)}"
    description = "\n".join(
        filter(None, [line.description, _price_discount_note(line, currency), _adjustment_note(line, currency)])
    )
    first, *rest = description_parts(description) or [""]
    return {
        "name": line.name,
        # The first part prints under the name, each other part in a row of its own below.
        "description": first,
        "continued": rest,
        "quantity": format_quantity(line.quantity),
        "unit": line.unit_label,
        "unit_price": unit_price,
        "discount": _line_discount(line, currency),
        "vat": _vat_label(line.vat_category, line.vat_rate),
        "total": format_amount(line.net_amount, currency),
    }


def description_parts(text: str) -> list[str]:
    """Split ``text`` into parts within ``DESCRIPTION_PART_LINES`` lines and ``DESCRIPTION_PART_CHARACTERS``.

    Parts end at line breaks. A longer line is cut at its last space before
    the limit, or at the limit when it has no space.
    """
    pieces = []
    for text_line in text.split("\n"):
        while len(text_line) > DESCRIPTION_PART_CHARACTERS:
            cut = text_line.rfind(" ", 0, DESCRIPTION_PART_CHARACTERS + 1)
            if cut <= 0:
                cut = DESCRIPTION_PART_CHARACTERS
            pieces.append(text_line[:cut])
            text_line = text_line[cut:].lstrip(" ")
        pieces.append(text_line)

    parts: list[list[str]] = []
    size = 0
    for piece in pieces:
        if not parts or len(parts[-1]) == DESCRIPTION_PART_LINES or size + len(piece) > DESCRIPTION_PART_CHARACTERS:
            parts.append([])
            size = 0
        parts[-1].append(piece)
        size += len(piece) + 1

    joined = ("\n".join(part).strip("\n") for part in parts)
    return [part for part in joined if part]


def _price_discount_note(line: DocumentLine, currency: str) -> str:
    """Describe the gross price and price discount (BT-148, BT-147) that give the net unit price."""
    if line.gross_price is None or line.gross_price <= line.net_price:
        return ""
    return _("Prix brut %(gross)s, rabais %(discount)s") % {
        "gross": format_unit_price(line.gross_price, currency),
        "discount": format_unit_price(line.gross_price - line.net_price, currency),
    }


def _adjustment_note(line: DocumentLine, currency: str) -> str:
    """List the line's allowances and charges with their reasons, unless one percentage in the column shows them.

    A single percentage discount is clear from its column. Several rows, a
    charge or an amount are spelled out under the line, because the law wants
    every rebate granted shown on the invoice.
    """
    adjustments = (*line.allowances, *line.charges)
    only = adjustments[0] if len(adjustments) == 1 else None
    if not adjustments or (only is not None and not only.is_charge and only.amount is None and only.base is None):
        return ""
    places = currency_decimals(currency)
    gross = quantize(line.quantity * line.net_price / line.base_quantity, places)
    parts = []
    for adjustment in adjustments:
        amount = adjustment.resolve(gross, places)
        label = adjustment.reason or (_("Frais") if adjustment.is_charge else _("Remise"))
        if adjustment.percent is not None and adjustment.amount is None:
            label = "%s %s" % (label, format_rate(adjustment.percent))
        signed = amount if adjustment.is_charge else -amount
        parts.append("%s : %s%s" % (label, "+" if signed > 0 else "", format_amount(signed, currency)))
    return " ; ".join(parts)


def _line_discount(line: DocumentLine, currency: str) -> str:
    """Show one percentage discount as "10 %", anything else as the signed amount it changes."""
    if not line.allowances and not line.charges:
        return ""
    only = line.allowances[0] if len(line.allowances) == 1 and not line.charges else None
    if only is not None and only.amount is None and only.percent is not None and only.base is None:
        return format_rate(only.percent)

    gross = quantize(line.quantity * line.net_price / line.base_quantity, currency_decimals(currency))
    change = line.net_amount - gross
    sign = "+" if change > 0 else ""
    return sign + format_amount(change, currency)


def _vat_label(category: str, rate: Decimal) -> str:
    if category in RATED_CATEGORIES:
        return format_rate(rate)
    return labels.vat_category(category)


def _vat_row(doc: InvoiceDocument, row: VatBreakdown, mentions: list[str]) -> dict[str, str]:
    exemption = doc.exemption_for(row.key.category, row.key.rate)
    reason = exemption.reason if exemption else ""
    return {
        "rate": _vat_label(row.key.category, row.key.rate),
        "base": format_amount(row.taxable_amount, doc.currency),
        "amount": format_amount(row.tax_amount, doc.currency),
        # A legal wording is printed once: in the footer when the mentions carry it.
        "exemption": "" if reason in mentions else reason,
    }


def _total_rows(doc: InvoiceDocument, totals: Totals) -> list[list[str]]:
    """List the totals box rows, from the lines' net total to the total including VAT."""
    amount = partial(format_amount, currency=doc.currency)
    rows: list[list[str]] = []
    if doc.allowances or doc.charges:
        rows.append([_("Total HT des lignes"), amount(totals.line_total)])
        rows.extend(_adjustment_rows(doc.allowances, totals.allowance_amounts, doc.currency))
        rows.extend(_adjustment_rows(doc.charges, totals.charge_amounts, doc.currency))
    rows.append([_("Total HT"), amount(totals.tax_exclusive)])
    rows.append([_("Total TVA"), amount(totals.tax_total)])
    if doc.currency.upper() != "EUR" and doc.vat_total_eur is not None:
        label = _("Total TVA en euros")
        if doc.exchange_rate is not None:
            label = _("Total TVA en euros (1 %(currency)s = %(rate)s EUR)") % {
                "currency": doc.currency,
                "rate": format_quantity(doc.exchange_rate),
            }
        rows.append([label, format_amount(doc.vat_total_eur, "EUR")])
    rows.append([_("Total TTC"), amount(totals.tax_inclusive)])
    if totals.prepaid:
        rows.append([_("Acomptes déjà versés"), amount(-totals.prepaid)])
    if totals.rounding:
        rows.append([_("Arrondi"), amount(totals.rounding)])
    return rows


def _adjustment_rows(
    adjustments: tuple[Adjustment, ...], amounts: tuple[Decimal, ...], currency: str
) -> list[list[str]]:
    """Merge the per-VAT-rate parts of one document discount or charge into one row.

    EN 16931 splits a document-level discount into one allowance per VAT rate,
    but the customer was granted one discount, so it is printed once with its total.
    """
    merged: dict[tuple[bool, str, Decimal | None], Decimal] = {}
    for adjustment, value in zip(adjustments, amounts, strict=True):
        key = (adjustment.is_charge, adjustment.reason, adjustment.percent)
        merged[key] = merged.get(key, Decimal(0)) + value

    rows = []
    for (is_charge, reason, percent), value in merged.items():
        label = reason or (_("Frais") if is_charge else _("Remise"))
        if percent is not None:
            label = f"{label} ({format_rate(percent)})"
        rows.append([label, format_amount(value if is_charge else -value, currency)])
    return rows


def _payment(doc: InvoiceDocument) -> dict[str, Any] | None:
    # The seller settles a credit note, so it has no payment block.
    if doc.type_code == labels.CREDIT_NOTE:
        return None
    rows = []
    if doc.due_date:
        rows.append([_("Date d'échéance"), format_date(doc.due_date)])
    means = labels.payment_means(doc.payment_means_code)
    if means:
        rows.append([_("Mode de règlement"), means])
    if doc.iban:
        rows.append([_("IBAN"), format_iban(doc.iban)])
    if doc.bic:
        rows.append([_("BIC"), doc.bic])
    if doc.payment_reference:
        rows.append([_("Référence à rappeler"), doc.payment_reference])
    return {"terms": doc.payment_terms, "rows": rows}
