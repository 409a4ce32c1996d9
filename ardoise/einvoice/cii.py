"""Factur-X EN 16931 CII XML built from an ``InvoiceDocument``.

The factur-x library writes the XML from a dict keyed by EN 16931 business
terms (BT-x, BG-x); this module maps the document to those keys. Every amount
comes from ``InvoiceDocument.totals()``, so the XML, the PDF and the stored
snapshot show the same figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from facturx import generate_cii_xml
from lxml import etree

from ardoise.core.document import Address, DocumentLine, InvoiceDocument, Party
from ardoise.core.money import ZERO, Adjustment, Totals, VatBreakdown, VatKey, quantize
from ardoise.einvoice.errors import InconsistentDocumentError

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"  # BT-24 of the Factur-X EN 16931 profile

# ISO 6523 identifier schemes used in France.
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"

# Electronic address schemes (EAS code list). 0225 is the French e-invoicing
# directory, whose addresses start with the company's SIREN.
DIRECTORY_SCHEME = "0225"
EMAIL_SCHEME = "EM"

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

# "Not subject to VAT" carries no rate at all (BR-O-05).
NO_RATE_CATEGORIES = frozenset({"O"})


def build_cii_xml(doc: InvoiceDocument) -> bytes:
    """Return the Factur-X EN 16931 CII XML of ``doc`` as UTF-8 bytes.

    The XML is not validated here: call ``validate_cii`` on the result. The
    factur-x library's own schematron check posts the XML to an HTTP Saxon
    server, which Ardoise does not run, so it is switched off.
    """
    xml = generate_cii_xml(business_terms(doc), level="en16931", check_xsd=False, check_schematron=False)
    return _without_nil_attributes(xml)


def business_terms(doc: InvoiceDocument) -> dict[str, Any]:
    """Return the factur-x library's dict of ``doc``, keyed by business term.

    The CII and the UBL writers both build their XML from this dict, so the
    two formats carry the same terms and the same amounts.
    """
    totals = doc.totals()
    _check_line_amounts(doc, totals)
    return _data_dict(doc, totals)


def electronic_address(party: Party) -> tuple[str, str]:
    """Return the party's electronic address (BT-34 / BT-49) and its scheme.

    The French rules require one for both parties. In order of preference: the
    address registered in the directory, the SIREN (the directory's base
    address), then the e-mail address. Returns empty strings when none is known.
    """
    if party.electronic_address:
        return party.electronic_address, party.electronic_address_scheme or _guess_scheme(party.electronic_address)
    if party.siren:
        return party.siren, DIRECTORY_SCHEME
    if party.email:
        return party.email, EMAIL_SCHEME
    return "", ""


def business_process_for(lines: Iterable[DocumentLine], *, paid: bool = False, after_deposit: bool = False) -> str:
    """Return the French billing framework (BT-23, "cadre de facturation") of an invoice.

    The letter gives what is sold: B goods only, S services only, M both. The
    digit gives the case: 1 an ordinary invoice, 2 an invoice already paid in
    full (its paid amount must equal its total), 4 a final invoice that
    deducts deposits.
    """
    if paid and after_deposit:
        raise ValueError("An invoice cannot be both already paid and a final invoice after deposits.")
    kinds = {line.is_service for line in lines}
    if kinds == {True}:
        letter = "S"
    elif kinds == {False}:
        letter = "B"
    else:
        letter = "M"
    if paid:
        return letter + "2"
    if after_deposit:
        return letter + "4"
    return letter + "1"


def _without_nil_attributes(xml: bytes) -> bytes:
    # factur-x 7.8 builds elements with lxml.objectify, which marks an element
    # built from no child as xsi:nil="true". The mandatory, often empty
    # ApplicableHeaderTradeDelivery then fails the XSD ("not nillable").
    root = etree.fromstring(xml)
    for element in root.iter():
        element.attrib.pop(XSI_NIL, None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _guess_scheme(address: str) -> str:
    return EMAIL_SCHEME if "@" in address else DIRECTORY_SCHEME


def _check_line_amounts(doc: InvoiceDocument, totals: Totals) -> None:
    # The PDF prints DocumentLine.net_amount while the XML writes the computed
    # amount: if they differ, the two halves of the Factur-X would disagree.
    for index, (line, computed) in enumerate(zip(doc.lines, totals.line_amounts, strict=True)):
        if line.net_amount != computed:
            raise InconsistentDocumentError(
                f"Line {index + 1} of invoice {doc.number} stores a net amount of {line.net_amount} "
                f"but its computed amount is {computed}."
            )


def _data_dict(doc: InvoiceDocument, totals: Totals) -> dict[str, Any]:
    places = doc.decimals
    data = {
        "BT-1": doc.number,
        "BT-2": doc.issue_date,
        "BT-3": doc.type_code,
        "BT-5": doc.currency,
        "BT-23": doc.business_process,
        "BT-24": GUIDELINE_EN16931,
        "BG-1": [_compact({"BT-22": note.text, "BT-21": note.subject_code}) for note in doc.notes],
        "BG-4": _seller(_without_vat_number(doc.seller, doc)),
        "BG-7": _party(_without_vat_number(doc.buyer, doc), single_identifier=True),
        "BG-25": _lines(doc, totals, places),
        "BG-20": _document_adjustments(doc, doc.allowances, totals.allowance_amounts, totals),
        "BG-21": _document_adjustments(doc, doc.charges, totals.charge_amounts, totals),
        "BG-23": [_vat_breakdown(doc, row, places) for row in totals.breakdown],
    }
    data.update(_references(doc))
    data.update(_payment(doc))
    data.update(_totals(doc, totals, places))
    return _xml_safe(_compact(data))


def _without_vat_number(party: Party, doc: InvoiceDocument) -> Party:
    """Leave the VAT number out of an invoice outside the scope of VAT.

    EN 16931 forbids the seller's and the buyer's VAT numbers on an invoice
    with lines "not subject to VAT" (BR-O-02, BR-O-03, BR-O-04), and such an
    invoice has no other VAT category (BR-O-11 to BR-O-14). The PDF still
    prints them.
    """
    if not party.vat_number or not any(line.vat_category in NO_RATE_CATEGORIES for line in doc.lines):
        return party
    return replace(party, vat_number="")


def _seller(party: Party) -> dict[str, Any]:
    data = _party(party)
    data["legal_info"] = _seller_legal_info(party)  # BT-33
    data["tax_identifier"] = party.tax_registration  # BT-32
    return _compact(data)


def _seller_legal_info(party: Party) -> str:
    parts = []
    if party.legal_form and party.share_capital:
        parts.append(
            _("%(legal_form)s au capital de %(share_capital)s")
            % {"legal_form": party.legal_form, "share_capital": party.share_capital}
        )
    elif party.legal_form:
        parts.append(party.legal_form)
    if party.registration:
        parts.append(party.registration)
    return " - ".join(parts)


def _party(party: Party, *, single_identifier: bool = False) -> dict[str, Any]:
    """Return the business terms of a party; ``single_identifier`` for the buyer, who has one BT-46 at most."""
    address, scheme = electronic_address(party)
    data: dict[str, Any] = {
        "name": party.name,
        "biz_name": party.trading_name,
        "vat_identifier": party.vat_number,
        "einvoicing_addr": address,
        "einvoicing_addr_schemeid": scheme,
        **_address(party.address),
    }
    if party.siren:
        data["legal_identifier"] = party.siren
        data["legal_identifier_schemeid"] = SIREN_SCHEME
    elif party.legal_registration:
        data["legal_identifier"] = party.legal_registration
        data["legal_identifier_schemeid"] = party.legal_registration_scheme
    # An identifier without a scheme fails the French rules (BR-FR-CO-10), so it is written only when the
    # party has no other identifier, since EN 16931 wants at least one for the seller (BR-CO-26).
    keep_unschemed = not (party.siren or party.legal_registration or party.vat_number)
    identifiers: dict[str | None, str] = {
        scheme or None: value for scheme, value in party.other_identifiers if scheme or keep_unschemed
    }
    if party.siret:
        # The French rules read the SIRET from the party's global identifiers.
        identifiers = {SIRET_SCHEME: party.siret} if single_identifier else {**identifiers, SIRET_SCHEME: party.siret}
    if single_identifier and len(identifiers) > 1:
        first = next(iter(identifiers))
        identifiers = {first: identifiers[first]}
    if identifiers:
        data["identifiers"] = identifiers
    if party.email or party.phone:
        data["contacts"] = [_compact({"email": party.email, "phone": party.phone})]
    return _compact(data)


def _address(address: Address) -> dict[str, str]:
    return {
        "addr_l1": address.line1,
        "addr_l2": address.line2,
        "addr_l3": address.line3,
        "postcode": address.postcode,
        "city": address.city,
        "country_code": address.country_code,
    }


def _lines(doc: InvoiceDocument, totals: Totals, places: int) -> list[dict[str, Any]]:
    return [
        _line(number, line, amount, places)
        for number, (line, amount) in enumerate(zip(doc.lines, totals.line_amounts, strict=True), start=1)
    ]


def _line(number: int, line: DocumentLine, net_amount: Decimal, places: int) -> dict[str, Any]:
    # Line allowances and charges apply to the line's gross amount, rounded the
    # way the money module rounds it before applying them.
    gross_amount = quantize(line.to_money_line().gross_amount(), places)
    adjustments = line.allowances + line.charges
    data = {
        "BT-126": str(number),
        "BT-153": line.name,
        "BT-154": line.description,
        "BT-155": line.seller_item_id,
        "BT-129": _number(line.quantity),
        "BT-130": line.unit_code,
        "BT-146": _number(line.net_price, 2),
        "BT-149": None if line.base_quantity == 1 else _number(line.base_quantity),
        "BT-151": line.vat_category,
        "BT-152": _rate(VatKey(line.vat_category, line.vat_rate)),
        "BT-131": _amount(net_amount, places),
        "BG-27": [
            _adjustment(a, a.resolve(gross_amount, places), gross_amount, places)
            for a in adjustments
            if not a.is_charge
        ],
        "BG-28": [
            _adjustment(a, a.resolve(gross_amount, places), gross_amount, places) for a in adjustments if a.is_charge
        ],
    }
    data.update(_gross_price(line))
    return _compact(data)


def _gross_price(line: DocumentLine) -> dict[str, Any]:
    # EN 16931 allows only a price discount (BT-147) between gross and net price.
    if line.gross_price is None:
        return {}
    discount = line.gross_price - line.net_price
    if discount < ZERO:
        raise InconsistentDocumentError(
            f"Line {line.name!r} has a gross price {line.gross_price} below its net price {line.net_price}."
        )
    data: dict[str, Any] = {"BT-148": _number(line.gross_price, 2)}
    if discount > ZERO:
        data["BT-147-00"] = [{"BT-147": _number(discount, 2)}]
    return data


def _document_adjustments(
    doc: InvoiceDocument,
    adjustments: tuple[Adjustment, ...],
    amounts: tuple[Decimal, ...],
    totals: Totals,
) -> list[dict[str, Any]]:
    rows = []
    for adjustment, amount in zip(adjustments, amounts, strict=True):
        # doc.totals() has already raised ValueError for an adjustment without VAT.
        key = adjustment.vat
        assert key is not None
        group_net = _group_line_total(doc, totals, key)
        row = _adjustment(adjustment, amount, group_net, doc.decimals)
        row["vat_category_code"] = key.category
        row["vat_rate"] = _rate(key)
        rows.append(_compact(row))
    return rows


def _group_line_total(doc: InvoiceDocument, totals: Totals, key: VatKey) -> Decimal:
    return sum(
        (
            amount
            for line, amount in zip(doc.lines, totals.line_amounts, strict=True)
            if VatKey(line.vat_category, line.vat_rate) == key
        ),
        ZERO,
    )


def _adjustment(adjustment: Adjustment, amount: Decimal, default_base: Decimal, places: int) -> dict[str, Any]:
    data = {
        "amount": _amount(amount, places),
        "reason": adjustment.reason,
        "reason_code": adjustment.reason_code,
    }
    if adjustment.percent is not None:
        base = default_base if adjustment.base is None else adjustment.base
        data["rate"] = _number(adjustment.percent, 2)
        data["base_amount"] = _amount(base, places)
    return _compact(data)


def _vat_breakdown(doc: InvoiceDocument, row: VatBreakdown, places: int) -> dict[str, Any]:
    exemption = doc.exemption_for(row.key.category, row.key.rate)
    return _compact(
        {
            "BT-116": _amount(row.taxable_amount, places),
            "BT-117": _amount(row.tax_amount, places),
            "BT-118": row.key.category,
            "BT-119": _rate(row.key),
            "BT-120": exemption.reason if exemption else "",
            "BT-121": exemption.reason_code if exemption else "",
        }
    )


def _references(doc: InvoiceDocument) -> dict[str, Any]:
    data: dict[str, Any] = {
        "BT-9": doc.due_date,
        "BT-10": doc.buyer_reference,
        "BT-13": doc.purchase_order,
        "BT-20": doc.payment_terms,
        "BT-72": doc.delivery_date,
    }
    if doc.delivery_address is not None:
        data["BG-13"] = _compact({"name": doc.buyer.name, **_address(doc.delivery_address)})
    references = [(doc.preceding_invoice, doc.preceding_invoice_date)] if doc.preceding_invoice else []
    references += [(reference.number, reference.issue_date) for reference in doc.deducted_invoices]
    if references:
        # BG-3 repeats: a final invoice refers to each deposit or progress invoice it deducts.
        data["BG-3"] = [_compact({"BT-25": number, "BT-26": date}) for number, date in references]
    if doc.quote_reference:
        # An accepted quote is the contract the invoice bills (BT-12).
        data["BT-12"] = doc.quote_reference
    return data


def _payment(doc: InvoiceDocument) -> dict[str, Any]:
    if not doc.payment_means_code:
        return {}
    return {
        "BT-81": doc.payment_means_code,
        "BT-83": doc.payment_reference,
        "BT-84": _compact_code(doc.iban),
        "BT-86": _compact_code(doc.bic),
    }


def _totals(doc: InvoiceDocument, totals: Totals, places: int) -> dict[str, Any]:
    data = {
        "BT-106": _amount(totals.line_total, places),
        "BT-109": _amount(totals.tax_exclusive, places),
        "BT-110": _amount(totals.tax_total, places),
        "BT-112": _amount(totals.tax_inclusive, places),
        "BT-115": _amount(totals.due, places),
    }
    if doc.allowances:
        data["BT-107"] = _amount(totals.allowance_total, places)
    if doc.charges:
        data["BT-108"] = _amount(totals.charge_total, places)
    if totals.prepaid:
        data["BT-113"] = _amount(totals.prepaid, places)
    if totals.rounding:
        data["BT-114"] = _amount(totals.rounding, places)
    if doc.currency.upper() != "EUR" and doc.vat_total_eur is not None:
        # The French rules want the VAT total in euros as well (BT-6, BT-111).
        # Without it, the validation reports BR-FR-CO-12.
        data["BT-6"] = "EUR"
        data["BT-111"] = _amount(doc.vat_total_eur, 2)
    return data


def _rate(key: VatKey) -> str | None:
    if key.category in NO_RATE_CATEGORIES:
        return None
    return _number(key.rate, 2)


def _amount(value: Decimal, places: int) -> str:
    return format(quantize(value, places), "f")


def _number(value: Decimal, min_places: int = 0) -> str:
    """Format a quantity, price or percentage with all its significant decimals."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent < min_places:
        value = value.quantize(Decimal(1).scaleb(-min_places))
    return format(value, "f")


# Characters that XML 1.0 forbids, such as the control characters that text
# pasted from word processors carries; lxml raises ValueError on them.
_NOT_XML_CHARACTERS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(value: Any) -> Any:
    if isinstance(value, str):
        return _NOT_XML_CHARACTERS.sub("", value)
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_xml_safe(item) for item in value]
    return value


def _compact_code(value: str) -> str:
    return value.replace(" ", "").upper()


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    # The factur-x library reads optional terms with dict.get() and rejects
    # empty strings in date fields, so absent terms must be absent keys.
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}
