"""The issued-document snapshot shared by the PDF, the Factur-X XML and the CLI.

An ``InvoiceDocument`` holds everything printed on an invoice and written in
its XML, with no reference to the database. The invoicing app builds one when
it issues an invoice and stores it as JSON, so that the issued invoice never
changes when the organisation or the customer is edited later.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from ardoise.core.money import Adjustment, Line, Totals, VatKey, compute_totals, currency_decimals


@dataclass(frozen=True)
class Address:
    line1: str = ""
    line2: str = ""
    line3: str = ""
    postcode: str = ""
    city: str = ""
    country_code: str = "FR"  # ISO 3166-1 alpha-2

    def is_empty(self) -> bool:
        return not (self.line1 or self.postcode or self.city)


@dataclass(frozen=True)
class Party:
    """A seller (BG-4) or buyer (BG-7)."""

    name: str
    address: Address = field(default_factory=Address)
    trading_name: str = ""
    legal_form: str = ""  # e.g. "SAS", printed with the share capital
    share_capital: str = ""  # as printed, e.g. "10 000 €"
    siren: str = ""  # BT-30 / BT-47 with scheme 0002
    siret: str = ""
    # BT-29 / BT-46 identifiers other than the SIRET, as (scheme, identifier); scheme "" when the file gives none.
    other_identifiers: tuple[tuple[str, str], ...] = ()
    # BT-30 / BT-47 with a scheme other than the SIREN's (0002), e.g. a German registration under 0189.
    legal_registration: str = ""
    legal_registration_scheme: str = ""
    vat_number: str = ""  # BT-31 / BT-48
    tax_registration: str = ""  # BT-32, seller's local tax identifier (scheme FC)
    registration: str = ""  # "RCS Lyon" or "RM 69"
    email: str = ""  # BT-34 / BT-49 electronic address when no other is known
    # BT-34 / BT-49 as registered in the e-invoicing directory, e.g. "123456789" or
    # "123456789_FACTURES" with scheme "0225"; when empty, the SIREN is used.
    electronic_address: str = ""
    electronic_address_scheme: str = ""  # BT-34-1 / BT-49-1, EAS code list (0225, EM...)
    phone: str = ""
    website: str = ""
    is_company: bool = True


@dataclass(frozen=True)
class DocumentLine:
    """An invoice line (BG-25) as printed and as written in the XML."""

    name: str  # BT-153
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130, UN/ECE Recommendation 20 (C62, HUR, DAY…)
    unit_label: str  # French label printed on the PDF ("heure", "jour"…)
    net_price: Decimal  # BT-146
    vat_category: str  # BT-151
    vat_rate: Decimal  # BT-152
    net_amount: Decimal  # BT-131
    description: str = ""  # BT-154
    gross_price: Decimal | None = None  # BT-148, when a price discount applies
    base_quantity: Decimal = Decimal("1")  # BT-149
    allowances: tuple[Adjustment, ...] = ()
    charges: tuple[Adjustment, ...] = ()
    is_service: bool = True
    seller_item_id: str = ""  # BT-155

    def to_money_line(self) -> Line:
        return Line(
            quantity=self.quantity,
            net_price=self.net_price,
            vat=VatKey(self.vat_category, self.vat_rate),
            base_quantity=self.base_quantity,
            adjustments=self.allowances + self.charges,
        )


@dataclass(frozen=True)
class VatExemption:
    """The exemption reason of a VAT category (BT-120, BT-121)."""

    category: str
    rate: Decimal
    reason: str
    reason_code: str = ""


@dataclass(frozen=True)
class VatAmount:
    """The VAT amount (BT-117) of a group whose VAT is set by the caller instead of computed."""

    category: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceReference:
    """An earlier invoice that this one refers to (BG-3: BT-25 and BT-26)."""

    number: str
    issue_date: datetime.date | None = None


@dataclass(frozen=True)
class Note:
    """An invoice note (BG-1) with its UNTDID 4451 subject code."""

    text: str
    subject_code: str = ""


@dataclass(frozen=True)
class InvoiceDocument:
    number: str  # BT-1
    type_code: str  # BT-3: 380 invoice, 381 credit note, 386 deposit invoice
    issue_date: datetime.date  # BT-2
    currency: str  # BT-5
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    due_date: datetime.date | None = None  # BT-9
    delivery_date: datetime.date | None = None  # BT-72
    delivery_address: Address | None = None  # BG-15
    business_process: str = "S1"  # BT-23, French cadre de facturation
    buyer_reference: str = ""  # BT-10
    purchase_order: str = ""  # BT-13
    allowances: tuple[Adjustment, ...] = ()  # BG-20
    charges: tuple[Adjustment, ...] = ()  # BG-21
    vat_exemptions: tuple[VatExemption, ...] = ()
    notes: tuple[Note, ...] = ()  # BG-1, legal mentions included
    payment_terms: str = ""  # BT-20
    payment_means_code: str = "30"  # BT-81, 30 = credit transfer
    iban: str = ""  # BT-84
    bic: str = ""  # BT-86
    payment_reference: str = ""  # BT-83
    prepaid: Decimal = Decimal("0")  # BT-113
    rounding: Decimal = Decimal("0")  # BT-114
    # BT-111: the VAT total in euros, required by the French rules when the currency is not EUR.
    vat_total_eur: Decimal | None = None
    exchange_rate: Decimal | None = None  # euros for one unit of ``currency``, printed beside BT-111
    preceding_invoice: str = ""  # BT-25
    preceding_invoice_date: datetime.date | None = None  # BT-26
    # Further BG-3 references: the deposit and progress invoices a final invoice deducts.
    deducted_invoices: tuple[InvoiceReference, ...] = ()
    quote_reference: str = ""  # BT-12, the accepted quote this invoice bills
    # BT-117 set instead of computed (cumulative VAT of the invoices of a quote).
    vat_amounts: tuple[VatAmount, ...] = ()
    language: str = "fr"
    legal_mentions: tuple[str, ...] = ()  # printed in the footer of the PDF

    @property
    def decimals(self) -> int:
        return currency_decimals(self.currency)

    def totals(self) -> Totals:
        return compute_totals(
            (line.to_money_line() for line in self.lines),
            allowances=self.allowances,
            charges=self.charges,
            prepaid=self.prepaid,
            rounding=self.rounding,
            places=self.decimals,
            vat_amounts={VatKey(v.category, v.rate): v.amount for v in self.vat_amounts},
        )

    def exemption_for(self, category: str, rate: Decimal) -> VatExemption | None:
        for exemption in self.vat_exemptions:
            if exemption.category == category and exemption.rate == rate:
                return exemption
        return None

    # Serialisation for the immutable snapshot stored with an issued invoice.

    def to_json(self) -> dict[str, Any]:
        return _encode(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InvoiceDocument:
        return _decode_document(data)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$date" in value:
            return datetime.date.fromisoformat(value["$date"])
        return {key: _decode_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_value(item) for item in value]
    return value


def _decode_adjustment(data: dict[str, Any]) -> Adjustment:
    vat = data.pop("vat")
    return Adjustment(**data, vat=VatKey(**vat) if vat else None)


def _decode_party(data: dict[str, Any]) -> Party:
    identifiers = tuple((scheme, value) for scheme, value in data.get("other_identifiers", ()))
    return Party(**{**data, "address": Address(**data["address"]), "other_identifiers": identifiers})


def _decode_line(data: dict[str, Any]) -> DocumentLine:
    return DocumentLine(
        **{
            **data,
            "allowances": tuple(_decode_adjustment(a) for a in data["allowances"]),
            "charges": tuple(_decode_adjustment(c) for c in data["charges"]),
        }
    )


def _decode_document(raw: dict[str, Any]) -> InvoiceDocument:
    data = _decode_value(raw)
    delivery = data.get("delivery_address")
    return InvoiceDocument(
        **{
            **data,
            "seller": _decode_party(data["seller"]),
            "buyer": _decode_party(data["buyer"]),
            "lines": tuple(_decode_line(line) for line in data["lines"]),
            "delivery_address": Address(**delivery) if delivery else None,
            "allowances": tuple(_decode_adjustment(a) for a in data["allowances"]),
            "charges": tuple(_decode_adjustment(c) for c in data["charges"]),
            "vat_exemptions": tuple(VatExemption(**e) for e in data["vat_exemptions"]),
            "notes": tuple(Note(**n) for n in data["notes"]),
            "legal_mentions": tuple(data["legal_mentions"]),
            # Snapshots written before these fields existed have none.
            "deducted_invoices": tuple(InvoiceReference(**r) for r in data.get("deducted_invoices", ())),
            "vat_amounts": tuple(VatAmount(**v) for v in data.get("vat_amounts", ())),
        }
    )
