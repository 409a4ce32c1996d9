"""Typed values from the business-term dict of the factur-x library's parser."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core.document import Address, DocumentLine, Note, Party, VatExemption
from ardoise.core.formats import format_amount, format_quantity, format_unit_price
from ardoise.core.money import ZERO, Adjustment, VatBreakdown, VatKey, currency_decimals, quantize
from ardoise.core.units import unit_label
from ardoise.einvoice.cii import SIREN_SCHEME, SIRET_SCHEME
from ardoise.einvoice.errors import InvoiceFileError
from ardoise.einvoice.parsed import PROFILE_NAMES, PROFILES_WITHOUT_LINES, ParsedInvoice, ParsedLine, ParsedTotals

# French names of the business terms that an error message can point at.
TERM_LABELS = {
    "BT-1": gettext_lazy("le numéro de facture"),
    "BT-2": gettext_lazy("la date d'émission"),
    "BT-3": gettext_lazy("le type de document"),
    "BT-5": gettext_lazy("la devise"),
    "BT-27": gettext_lazy("le nom du vendeur"),
    "BT-44": gettext_lazy("le nom de l'acheteur"),
    "BT-109": gettext_lazy("le total HT"),
    "BT-112": gettext_lazy("le total TTC"),
    "BT-115": gettext_lazy("le net à payer"),
    "BT-129": gettext_lazy("la quantité"),
    "BT-130": gettext_lazy("l'unité"),
    "BT-131": gettext_lazy("le montant HT de la ligne"),
    "BT-146": gettext_lazy("le prix unitaire net"),
    "BT-95": gettext_lazy("la catégorie de TVA"),
    "BT-102": gettext_lazy("la catégorie de TVA"),
    "BT-151": gettext_lazy("la catégorie de TVA"),
    "BT-153": gettext_lazy("la désignation"),
}


class TermReader:
    """Typed values from the factur-x library's business-term dict.

    The library returns strings (``float_as="string"``), dates, lists for
    repeated groups, and a list instead of a string when a term occurs twice.
    """

    def __init__(self, terms: dict[str, Any], filename: str, source: str, profile: str, warnings: list[str]) -> None:
        self.terms = terms
        self.filename = filename
        self.source = source
        self.profile = profile
        self.warnings = warnings
        self.currency = _text(terms.get("BT-5")) or "EUR"
        self.places = currency_decimals(self.currency)

    def invoice(self) -> ParsedInvoice:
        terms = self.terms
        lines = self.lines()
        if not lines and self.profile in PROFILES_WITHOUT_LINES:
            self.warnings.append(
                _(
                    "Le fichier « %(filename)s » est au profil %(profile)s, qui ne contient pas "
                    "le détail des lignes : seuls l'en-tête, les parties et les totaux ont été lus."
                )
                % {"filename": self.filename, "profile": PROFILE_NAMES[self.profile]}
            )
        business_process = self.text("BT-23")
        if business_process[:1] == "B":
            # A goods-only invoice: the lines are not services.
            lines = tuple(ParsedLine(p.line_id, replace(p.line, is_service=False), p.note) for p in lines)
        preceding = (terms.get("BG-3") or [{}])[0]
        tax_currency = self.text("BT-6")

        return ParsedInvoice(
            filename=self.filename,
            source=self.source,
            profile=self.profile,
            number=self.required_text("BT-1"),
            type_code=self.required_text("BT-3"),
            issue_date=self.required("BT-2"),
            currency=self.required_text("BT-5"),
            seller=self.party(terms.get("BG-4"), "BT-27"),
            buyer=self.party(terms.get("BG-7"), "BT-44"),
            totals=self.totals(),
            lines=lines,
            allowances=self.document_adjustments("BG-20", is_charge=False),
            charges=self.document_adjustments("BG-21", is_charge=True),
            notes=tuple(
                Note(text=_text(note.get("BT-22")), subject_code=_text(note.get("BT-21")))
                for note in terms.get("BG-1") or []
            ),
            vat_exemptions=self.vat_exemptions(),
            business_process=business_process,
            tax_currency=tax_currency,
            vat_total_in_tax_currency=self.decimal("BT-111") if tax_currency else None,
            due_date=self.date("BT-9"),
            delivery_date=self.date("BT-72"),
            delivery_address=self.delivery_address(),
            period_start=self.date("BT-73"),
            period_end=self.date("BT-74"),
            buyer_reference=self.text("BT-10"),
            purchase_order=self.text("BT-13"),
            contract_reference=self.text("BT-12"),
            preceding_invoice=_text(preceding.get("BT-25")),
            preceding_invoice_date=_first(preceding.get("BT-26")),
            seller_legal_info=_text((terms.get("BG-4") or {}).get("legal_info")),
            payment_terms=self.text("BT-20"),
            payment_means_code=self.text("BT-81"),
            iban=self.text("BT-84"),
            bic=self.text("BT-86"),
            payment_reference=self.text("BT-83"),
            prepaid=self.decimal("BT-113") or ZERO,
            rounding=self.decimal("BT-114") or ZERO,
            warnings=tuple(self.warnings),
        )

    # Scalar terms.

    def text(self, term: str) -> str:
        return _text(self.terms.get(term))

    def required_text(self, term: str) -> str:
        value = self.text(term)
        if not value:
            raise self.missing(term)
        return value

    def required(self, term: str) -> Any:
        value = _first(self.terms.get(term))
        if value is None:
            raise self.missing(term)
        return value

    def date(self, term: str) -> datetime.date | None:
        return _first(self.terms.get(term))

    def decimal(self, term: str, source: dict[str, Any] | None = None) -> Decimal | None:
        value = _first((self.terms if source is None else source).get(term))
        if value in (None, ""):
            return None
        return self.to_decimal(value, term)

    def required_decimal(self, term: str, source: dict[str, Any], where: str = "") -> Decimal:
        value = self.decimal(term, source)
        if value is None:
            raise self.missing(term, where)
        return value

    def to_decimal(self, value: Any, term: str) -> Decimal:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise InvoiceFileError(
                _(
                    "Le fichier « %(filename)s » contient une valeur illisible pour %(term)s : "
                    "« %(value)s » n'est pas un nombre."
                )
                % {"filename": self.filename, "term": _term_name(term), "value": value},
                self.filename,
            )
        return number

    def missing(self, term: str, where: str = "") -> InvoiceFileError:
        return missing_term_error(self.filename, term, where)

    # Groups.

    def party(self, data: dict[str, Any] | None, name_term: str) -> Party:
        data = data or {}
        name = _text(data.get("name"))
        if not name:
            raise self.missing(name_term)
        identifiers = data.get("identifiers") or {}
        contact = (data.get("contacts") or [{}])[0]
        address_scheme = _text(data.get("einvoicing_addr_schemeid"))
        address = _text(data.get("einvoicing_addr"))
        siren = legal_registration = legal_scheme = ""
        if _text(data.get("legal_identifier_schemeid")) == SIREN_SCHEME:
            siren = _text(data.get("legal_identifier"))
        elif _text(data.get("legal_identifier")):
            legal_registration = _text(data.get("legal_identifier"))
            legal_scheme = _text(data.get("legal_identifier_schemeid"))
        other_identifiers = tuple(
            (_text(scheme), _text(value))
            for scheme, value in identifiers.items()
            if scheme != SIRET_SCHEME and _text(value)
        )
        return Party(
            name=name,
            address=_address(data),
            trading_name=_text(data.get("biz_name")),
            siren=siren,
            siret=_text(identifiers.get(SIRET_SCHEME)),
            other_identifiers=other_identifiers,
            legal_registration=legal_registration,
            legal_registration_scheme=legal_scheme,
            vat_number=_text(data.get("vat_identifier")),
            tax_registration=_text(data.get("tax_identifier")),
            email=_text(contact.get("email")) or (address if address_scheme == "EM" else ""),
            electronic_address=address,
            electronic_address_scheme=address_scheme,
            phone=_text(contact.get("phone")),
        )

    def delivery_address(self) -> Address | None:
        data = self.terms.get("BG-13")
        if not data or not data.get("country_code"):
            return None
        return _address(data)

    def lines(self) -> tuple[ParsedLine, ...]:
        return tuple(self.line(data, index) for index, data in enumerate(self.terms.get("BG-25") or [], 1))

    def line(self, data: dict[str, Any], index: int) -> ParsedLine:
        line_id = _text(data.get("BT-126")) or str(index)
        where = _(" (ligne %(line)s)") % {"line": line_id}
        unit_code = _text(data.get("BT-130"))
        if not unit_code:
            raise self.missing("BT-130", where)
        category = _text(data.get("BT-151"))
        if not category:
            raise self.missing("BT-151", where)
        name = _text(data.get("BT-153"))
        if not name:
            raise self.missing("BT-153", where)
        base_quantity = self.decimal("BT-149", data) or Decimal("1")
        if base_quantity <= ZERO:
            raise InvoiceFileError(
                _("Le fichier « %(filename)s » indique une quantité de base nulle ou négative%(where)s.")
                % {"filename": self.filename, "where": where},
                self.filename,
            )

        line = DocumentLine(
            name=name,
            description=_text(data.get("BT-154")),
            seller_item_id=_text(data.get("BT-155")),
            quantity=self.required_decimal("BT-129", data, where),
            unit_code=unit_code,
            unit_label=unit_label(unit_code),
            net_price=self.required_decimal("BT-146", data, where),
            gross_price=self.decimal("BT-148", data),
            base_quantity=base_quantity,
            vat_category=category,
            vat_rate=self.decimal("BT-152", data) or ZERO,
            net_amount=self.required_decimal("BT-131", data, where),
            allowances=self.adjustments(data.get("BG-27"), is_charge=False),
            charges=self.adjustments(data.get("BG-28"), is_charge=True),
        )
        line = self.consistent_line(line, line_id)
        notes = [_text(note.get("BT-127")) for note in data.get("BT-127-00") or []]
        return ParsedLine(line_id=line_id, line=line, note="\n".join(n for n in notes if n))

    def consistent_line(self, line: DocumentLine, line_id: str) -> DocumentLine:
        """Keep the line net amount the seller stated, and rebuild the price around it.

        Some files state a line net amount (BT-131) that their own quantity, net
        price, base quantity and line allowances and charges do not give
        (BR-LIN-04). The stated amount is what the buyer was invoiced, so it
        wins and the line gets a price that leads to it, with a warning.
        """
        computed = line.to_money_line().net_amount(self.places)
        if computed == line.net_amount:
            return line
        rebuilt = rebuild_line(line, self.places)
        self.warnings.append(
            _(
                "Ligne %(line)s : le fichier indique un montant HT de %(stated)s, mais sa quantité, son prix "
                "net, sa quantité de base et ses remises ou frais donnent %(computed)s. Ardoise garde le montant "
                "facturé (%(stated)s) et recalcule la ligne : quantité %(quantity)s, prix unitaire net "
                "%(price)s, quantité de base 1."
            )
            % {
                "line": line_id,
                "stated": format_amount(line.net_amount, self.currency),
                "computed": format_amount(computed, self.currency),
                "quantity": format_quantity(rebuilt.quantity),
                "price": format_unit_price(rebuilt.net_price, self.currency),
            }
        )
        return rebuilt

    def adjustments(self, rows: list[dict[str, Any]] | None, is_charge: bool) -> tuple[Adjustment, ...]:
        return tuple(self.adjustment(row, is_charge) for row in rows or [])

    def adjustment(self, row: dict[str, Any], is_charge: bool, vat: VatKey | None = None) -> Adjustment:
        amount = self.decimal("amount", row)
        percent = self.decimal("rate", row)
        if amount is None and percent is None:
            raise InvoiceFileError(
                _(
                    "Le fichier « %(filename)s » contient une remise ou des frais sans montant "
                    "ni pourcentage. Le fichier est incomplet : demandez à l'émetteur une facture conforme."
                )
                % {"filename": self.filename},
                self.filename,
            )
        return Adjustment(
            is_charge=is_charge,
            amount=amount,
            percent=percent,
            base=self.decimal("base_amount", row),
            reason=_text(row.get("reason")),
            reason_code=_text(row.get("reason_code")),
            vat=vat,
        )

    def document_adjustments(self, group: str, is_charge: bool) -> tuple[Adjustment, ...]:
        adjustments = []
        for index, row in enumerate(self.terms.get(group) or [], 1):
            category = _text(row.get("vat_category_code"))
            if not category:
                # EN 16931 requires it (BR-32, BR-37): the VAT group that the amount changes.
                if is_charge:
                    raise self.missing("BT-102", _(" (frais n° %(index)s sur le total)") % {"index": index})
                raise self.missing("BT-95", _(" (remise n° %(index)s sur le total)") % {"index": index})
            key = VatKey(category, self.decimal("vat_rate", row) or ZERO)
            adjustments.append(self.adjustment(row, is_charge, vat=key))
        return tuple(adjustments)

    def vat_rows(self) -> list[tuple[VatKey, dict[str, Any]]]:
        return [
            (VatKey(_text(row.get("BT-118")), self.decimal("BT-119", row) or ZERO), row)
            for row in self.terms.get("BG-23") or []
        ]

    def vat_exemptions(self) -> tuple[VatExemption, ...]:
        return tuple(
            VatExemption(
                category=key.category,
                rate=key.rate,
                reason=_text(row.get("BT-120")),
                # VATEX codes are upper case in their code list, which the Factur-X rules check as written.
                reason_code=_text(row.get("BT-121")).upper(),
            )
            for key, row in self.vat_rows()
            if row.get("BT-120") or row.get("BT-121")
        )

    def totals(self) -> ParsedTotals:
        breakdown = tuple(
            VatBreakdown(
                key=key,
                taxable_amount=self.decimal("BT-116", row) or ZERO,
                tax_amount=self.decimal("BT-117", row) or ZERO,
            )
            for key, row in self.vat_rows()
        )
        return ParsedTotals(
            line_total=self.decimal("BT-106"),
            allowance_total=self.decimal("BT-107"),
            charge_total=self.decimal("BT-108"),
            tax_exclusive=self.required_decimal("BT-109", self.terms),
            tax_total=self.decimal("BT-110"),
            tax_inclusive=self.required_decimal("BT-112", self.terms),
            prepaid=self.decimal("BT-113"),
            rounding=self.decimal("BT-114"),
            due=self.required_decimal("BT-115", self.terms),
            breakdown=breakdown,
        )


# Maximum decimals of a unit price that Ardoise stores (InvoiceLine.unit_price).
MAX_PRICE_DECIMALS = 6


def rebuild_line(line: DocumentLine, places: int) -> DocumentLine:
    """Return ``line`` with base quantity 1 and a net price that gives its stated net amount.

    Net price = (stated amount + line allowances - line charges) / quantity,
    with as few decimals as give the stated amount once rounded (at most
    ``MAX_PRICE_DECIMALS``, else the quantity becomes 1). Percent-only
    adjustments are frozen to their amount, so the line stays consistent
    whatever its new gross amount. A negative price is not allowed (BR-27):
    quantity and price are then both negated. The gross price (BT-148) is
    dropped, because it was given for the old price and base quantity.
    """
    stated = quantize(line.net_amount, places)
    adjustments = line.allowances + line.charges
    fixed = sum((a.signed_factor * a.amount for a in adjustments if a.amount is not None), ZERO)
    percent = sum((a.signed_factor * a.percent for a in adjustments if a.amount is None and a.percent), ZERO)
    gross_amount = quantize((stated - fixed) / (1 + percent / 100), places)
    allowances = tuple(_frozen(a, gross_amount, places) for a in line.allowances)
    charges = tuple(_frozen(a, gross_amount, places) for a in line.charges)
    frozen_total = sum((a.signed_factor * (a.amount or ZERO) for a in allowances + charges), ZERO)
    gross_amount = stated - frozen_total

    quantity = line.quantity
    price = _price_for(quantity, gross_amount, places)
    if price is None:
        quantity, price = Decimal("1"), gross_amount
    if price < ZERO:
        quantity, price = -quantity, -price
    return replace(
        line,
        quantity=quantity,
        net_price=price,
        base_quantity=Decimal("1"),
        gross_price=None,
        allowances=allowances,
        charges=charges,
        net_amount=stated,
    )


def _price_for(quantity: Decimal, gross_amount: Decimal, places: int) -> Decimal | None:
    if quantity == ZERO:
        return None
    for decimals in range(places, MAX_PRICE_DECIMALS + 1):
        price = quantize(gross_amount / quantity, decimals)
        if quantize(quantity * price, places) == gross_amount:
            return price
    return None


def _frozen(adjustment: Adjustment, gross_amount: Decimal, places: int) -> Adjustment:
    if adjustment.amount is not None:
        return adjustment
    return replace(adjustment, amount=adjustment.resolve(gross_amount, places))


def _first(value: Any) -> Any:
    # A term that occurs twice comes back as a list; the first occurrence wins.
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(value: Any) -> str:
    value = _first(value)
    return "" if value is None else str(value).strip()


def missing_term_error(filename: str, term: str, where: str = "") -> InvoiceFileError:
    """Return the error for a mandatory business term that the file lacks."""
    return InvoiceFileError(
        _(
            "Le fichier « %(filename)s » n'indique pas %(term)s%(where)s, obligatoire dans une "
            "facture. Le fichier est incomplet : demandez à l'émetteur une facture conforme."
        )
        % {"filename": filename, "term": _term_name(term), "where": where},
        filename,
    )


def _term_name(term: str) -> str:
    label = TERM_LABELS.get(term)
    return f"{label} ({term})" if label is not None else term


def _address(data: dict[str, Any]) -> Address:
    return Address(
        line1=_text(data.get("addr_l1")),
        line2=_text(data.get("addr_l2")),
        line3=_text(data.get("addr_l3")),
        postcode=_text(data.get("postcode")),
        city=_text(data.get("city")),
        country_code=_text(data.get("country_code")),
    )
