"""Build the ``InvoiceDocument`` snapshot of an invoice: what is printed and sent."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.core.document import Address, DocumentLine, InvoiceDocument, Note, Party, VatAmount, VatExemption
from ardoise.core.formats import format_amount
from ardoise.core.money import (
    Adjustment,
    Totals,
    VatKey,
    compute_totals,
    currency_decimals,
    quantize,
    split_proportionally,
)
from ardoise.core.payment_terms import PaymentTerm, final_due_date
from ardoise.core.payment_terms import terms_text as payment_terms_text
from ardoise.core.units import unit_label
from ardoise.core.vat import EXEMPTIONS
from ardoise.invoicing import sources
from ardoise.invoicing.models import DiscountKind, Invoice, InvoiceLine
from ardoise.invoicing.vat_situations import goods_delivery

RECOVERY_INDEMNITY = Decimal("40")


def seller_party(organisation: Organisation) -> Party:
    capital = ""
    if organisation.share_capital is not None:
        capital = format_amount(organisation.share_capital, "EUR")
    return Party(
        name=organisation.name,
        trading_name=organisation.trading_name,
        address=Address(
            line1=organisation.address_line1,
            line2=organisation.address_line2,
            postcode=organisation.postcode,
            city=organisation.city,
            country_code=organisation.country_code,
        ),
        legal_form=organisation.legal_form,
        share_capital=capital,
        siren=organisation.siren,
        siret=organisation.siret,
        vat_number=organisation.vat_number,
        registration=("RCS %s" % organisation.rcs_city) if organisation.rcs_city else "",
        email=organisation.email,
        phone=organisation.phone,
        website=organisation.website,
        # EN 16931 requires a VAT number or a tax registration on an invoice with
        # exempt lines (BR-E-02), and a business under franchise en base often has
        # no VAT number. NOTE: the SIREN is used as the tax registration (scheme FC).
        tax_registration=organisation.siren if not organisation.vat_number else "",
    )


def line_adjustments(line: InvoiceLine) -> tuple[tuple[Adjustment, ...], tuple[Adjustment, ...]]:
    """Return the line's allowances and charges, the discount percentage first."""
    allowances: list[Adjustment] = []
    charges: list[Adjustment] = []
    if line.discount_percent:
        allowances.append(Adjustment(percent=line.discount_percent, reason=_("Remise"), reason_code="95"))
    for raw in line.extra_adjustments:
        adjustment = adjustment_from_json(raw)
        (charges if adjustment.is_charge else allowances).append(adjustment)
    return tuple(allowances), tuple(charges)


def _optional_decimal(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def adjustment_from_json(raw: dict) -> Adjustment:  # type: ignore[type-arg]
    """Rebuild an ``Adjustment`` stored by ``adjustment_to_json``."""
    vat = None
    if raw.get("vat_category"):
        vat = VatKey(raw["vat_category"], Decimal(str(raw["vat_rate"])))
    return Adjustment(
        is_charge=bool(raw.get("is_charge", False)),
        amount=_optional_decimal(raw.get("amount")),
        percent=_optional_decimal(raw.get("percent")),
        base=_optional_decimal(raw.get("base")),
        reason=raw.get("reason", ""),
        reason_code=raw.get("reason_code", ""),
        vat=vat,
    )


def adjustment_to_json(adjustment: Adjustment) -> dict:  # type: ignore[type-arg]
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "is_charge": adjustment.is_charge,
        "amount": text(adjustment.amount),
        "percent": text(adjustment.percent),
        "base": text(adjustment.base),
        "reason": adjustment.reason,
        "reason_code": adjustment.reason_code,
        "vat_category": adjustment.vat.category if adjustment.vat else "",
        "vat_rate": text(adjustment.vat.rate) if adjustment.vat else None,
    }


def stored_adjustments(invoice: Invoice) -> tuple[tuple[Adjustment, ...], tuple[Adjustment, ...]]:
    """Return the document-level allowances and charges typed in the editor or imported from an e-invoice."""
    adjustments = [adjustment_from_json(raw) for raw in invoice.document_adjustments]
    return (
        tuple(a for a in adjustments if not a.is_charge),
        tuple(a for a in adjustments if a.is_charge),
    )


def document_line(line: InvoiceLine, places: int) -> DocumentLine:
    allowances, charges = line_adjustments(line)
    draft = DocumentLine(
        name=line.name,
        description=line.description,
        quantity=line.quantity,
        unit_code=line.unit,
        unit_label=unit_label(line.unit),
        net_price=line.unit_price,
        gross_price=line.gross_price,
        base_quantity=line.base_quantity,
        vat_category=line.vat_category,
        vat_rate=line.vat_rate,
        net_amount=Decimal("0"),
        allowances=allowances,
        charges=charges,
        is_service=line.is_service,
    )
    return DocumentLine(**{**draft.__dict__, "net_amount": draft.to_money_line().net_amount(places)})


def document_allowances(invoice: Invoice, lines: list[DocumentLine], places: int) -> tuple[Adjustment, ...]:
    """Spread the document discount over the VAT groups, in proportion to their net amounts.

    EN 16931 requires each document-level allowance to carry one VAT category
    and rate (BR-32, BR-33), so a discount on an invoice with several rates
    becomes one allowance per rate.
    """
    if not invoice.discount_value or not lines:
        return ()
    group_nets: dict[VatKey, Decimal] = {}
    for line in lines:
        key = VatKey(line.vat_category, line.vat_rate)
        group_nets[key] = group_nets.get(key, Decimal("0")) + line.net_amount
    reason = invoice.discount_reason or _("Remise globale")
    if invoice.discount_kind == DiscountKind.PERCENT:
        return tuple(
            Adjustment(percent=invoice.discount_value, base=net, reason=reason, reason_code="95", vat=key)
            for key, net in group_nets.items()
        )
    keys = list(group_nets)
    parts = split_proportionally(invoice.discount_value, [group_nets[k] for k in keys], places)
    return tuple(
        Adjustment(amount=part, reason=reason, reason_code="95", vat=key) for key, part in zip(keys, parts, strict=True)
    )


# Separator of the reasons of one VAT group, as in « Exonération de TVA, article 262 I du CGI ; TVA non
# applicable, art. 259-1 du CGI ».
REASON_SEPARATOR = " ; "


def vat_exemptions(invoice_lines: list[InvoiceLine]) -> tuple[VatExemption, ...]:
    """Return one exemption reason per exempt VAT group (BT-120, BT-121).

    EN 16931 has one reason per VAT category and rate. Lines of one group with
    different legal bases (goods exported and services taxed abroad, both G)
    therefore share a reason that cites each basis, with a code only when all agree.
    """
    texts: dict[tuple[str, Decimal], list[str]] = {}
    codes: dict[tuple[str, Decimal], set[str]] = {}
    for line in invoice_lines:
        if line.vat_category in ("S", "Z"):
            continue
        exemption = EXEMPTIONS.get(line.exemption)
        text = line.exemption_text or (str(exemption.wording) if exemption else "")
        key = (line.vat_category, line.vat_rate)
        group = texts.setdefault(key, [])
        if text and text not in group:
            group.append(text)
        codes.setdefault(key, set()).add(exemption.code if exemption else "")
    return tuple(
        VatExemption(
            category,
            rate,
            REASON_SEPARATOR.join(group),
            next(iter(codes[(category, rate)]), "") if len(codes[(category, rate)]) == 1 else "",
        )
        for (category, rate), group in texts.items()
    )


def adjustment_exemptions(invoice: Invoice) -> tuple[VatExemption, ...]:
    """Return the exemption reasons of the allowances and charges typed at 0 %.

    A charge may be the only amount of its VAT group (EN 16931 allows it), so
    its exemption must be stated on its own, as a line's is. Imported ones
    carry no ``exemption`` key: their reasons come with ``invoice.vat_exemptions``.
    """
    seen: dict[tuple[str, Decimal], VatExemption] = {}
    for raw in invoice.document_adjustments:
        exemption = EXEMPTIONS.get(raw.get("exemption", ""))
        if exemption is None or not exemption.wording:
            continue
        rate = Decimal(str(raw["vat_rate"]))
        seen.setdefault(
            (exemption.category, rate), VatExemption(exemption.category, rate, str(exemption.wording), exemption.code)
        )
    return tuple(seen.values())


def combine_exemptions(exemptions: Sequence[VatExemption]) -> tuple[VatExemption, ...]:
    """Merge the reasons given for one VAT group into one reason that cites each legal basis once.

    The lines and the charges of one group (goods exported and transport
    costs, both G) each bring a reason, but EN 16931 allows one per VAT
    category and rate, and the footer must print each legal wording once.
    """
    texts: dict[tuple[str, Decimal], list[str]] = {}
    codes: dict[tuple[str, Decimal], set[str]] = {}
    for exemption in exemptions:
        key = (exemption.category, exemption.rate)
        group = texts.setdefault(key, [])
        for text in exemption.reason.split(REASON_SEPARATOR):
            if text and text not in group:
                group.append(text)
        codes.setdefault(key, set()).add(exemption.reason_code)
    return tuple(
        VatExemption(category, rate, REASON_SEPARATOR.join(group), _common_code(codes[(category, rate)]))
        for (category, rate), group in texts.items()
    )


def _common_code(codes: set[str]) -> str:
    return next(iter(codes)) if len(codes) == 1 else ""


def merge_exemptions(invoice: Invoice, from_lines: tuple[VatExemption, ...]) -> tuple[VatExemption, ...]:
    """Put the exemption reasons imported with the invoice first, then those of its lines."""
    imported = tuple(
        VatExemption(raw["category"], Decimal(str(raw["rate"])), raw.get("reason", ""), raw.get("reason_code", ""))
        for raw in invoice.vat_exemptions
    )
    known = {(e.category, e.rate) for e in imported}
    return imported + tuple(e for e in from_lines if (e.category, e.rate) not in known)


def used_exemptions(
    exemptions: tuple[VatExemption, ...], lines: list[DocumentLine], adjustments: tuple[Adjustment, ...]
) -> tuple[VatExemption, ...]:
    """Keep the exemption reasons of the VAT groups the document still has.

    An imported reason outlives the line or charge it came with when the user
    removes them, and printing it would add a false legal mention.
    """
    keys = {VatKey(line.vat_category, line.vat_rate) for line in lines}
    keys |= {adjustment.vat for adjustment in adjustments if adjustment.vat is not None}
    return tuple(exemption for exemption in exemptions if VatKey(exemption.category, exemption.rate) in keys)


def business_process(lines: list[DocumentLine]) -> str:
    """Return the French billing framework BT-23: B1 goods, S1 services, M1 both."""
    kinds = {line.is_service for line in lines}
    if kinds == {False}:
        return "B1"
    if kinds == {True, False}:
        return "M1"
    return "S1"


def nature_of_operation(process: str) -> str:
    return {
        "B1": _("Nature de l'opération : livraison de biens"),
        "M1": _("Nature de l'opération : livraison de biens et prestation de services"),
    }.get(process, _("Nature de l'opération : prestation de services"))


def legal_notes(organisation: Organisation, customer_is_company: bool) -> tuple[Note, ...]:
    """Return the payment notes French rules require, with their UNTDID 4451 subject codes."""
    notes = [
        Note(organisation.late_penalty_text or _("Pénalités de retard : taux de la BCE majoré de 10 points."), "PMD"),
        Note(organisation.early_payment_text or _("Pas d'escompte pour paiement anticipé."), "AAB"),
    ]
    if customer_is_company:
        notes.insert(1, Note(_("Indemnité forfaitaire pour frais de recouvrement : 40 €"), "PMT"))
    else:
        notes.insert(
            1, Note(_("Indemnité forfaitaire pour frais de recouvrement : non applicable (client particulier)"), "PMT")
        )
    return tuple(notes)


def vat_on_debits_notes(organisation: Organisation, lines: list[DocumentLine]) -> tuple[Note, ...]:
    """Return the débits option mention (CGI art. 242 nonies A), as a tax note (TXD), when it applies.

    The option concerns the VAT charged on services, so an invoice that
    charges no VAT (franchise, exports, reverse charge) does not carry it.
    """
    if not organisation.vat_on_debits or organisation.is_franchise:
        return ()
    if not any(line.vat_category == "S" for line in lines):
        return ()
    return (Note(_("Option pour le paiement de la taxe d'après les débits"), "TXD"),)


def legal_mentions(
    organisation: Organisation, process: str, notes: tuple[Note, ...], exemptions: tuple[VatExemption, ...]
) -> tuple[str, ...]:
    mentions = [nature_of_operation(process)]
    mentions.extend(exemption.reason for exemption in exemptions if exemption.reason)
    # The user's own note (AAI) prints under "Observations", not in the legal footer.
    mentions.extend(note.text for note in notes if note.subject_code in ("TXD", "PMT", "PMD", "AAB"))
    identity = [organisation.name]
    if organisation.legal_form:
        identity.append(organisation.legal_form)
    if organisation.share_capital is not None:
        identity.append(_("au capital de %(capital)s") % {"capital": format_amount(organisation.share_capital, "EUR")})
    if organisation.rcs_city and organisation.siren:
        identity.append("RCS %s %s" % (organisation.rcs_city, organisation.siren))
    elif organisation.siren:
        identity.append("SIREN %s" % organisation.siren)
    mentions.append(" – ".join(identity))
    return tuple(dict.fromkeys(mentions))


def credit_note_terms_text(invoice_number: str, *, invoice_was_paid: bool) -> str:
    """Return the payment terms of a credit note (BT-20): it settles the invoice, or is refunded.

    The refund is only promised when the customer has paid part of the invoice.
    """
    if not invoice_was_paid:
        return _("Montant déduit de la facture n° %(number)s.") % {"number": invoice_number}
    return _(
        "Montant déduit de la facture n° %(number)s ; la part déjà réglée de cette facture vous sera remboursée."
    ) % {"number": invoice_number}


def build_document(
    invoice: Invoice, *, number: str, issue_date: datetime.date, payment_term: PaymentTerm
) -> InvoiceDocument:
    """Snapshot the invoice, its organisation and its customer as an ``InvoiceDocument``.

    The due date (BT-9) is the date by which the whole amount is due; the
    payment terms text (BT-20) names the rule and, for installments, lists each
    part with its amount and date.
    """
    organisation = invoice.organisation
    customer = invoice.customer
    db_lines = list(invoice.lines.all())
    places = currency_decimals(invoice.currency)
    lines = [document_line(line, places) for line in db_lines]
    allowances, charges = draft_adjustments(invoice, lines, places)
    own_exemptions = combine_exemptions(vat_exemptions(db_lines) + adjustment_exemptions(invoice))
    exemptions = used_exemptions(merge_exemptions(invoice, own_exemptions), lines, allowances + charges)
    process = business_process(lines)
    notes = vat_on_debits_notes(organisation, lines) + legal_notes(organisation, customer.is_company)
    delivery_address, delivery_date = goods_delivery(invoice, lines, issue_date)
    if invoice.notes:
        notes = (Note(invoice.notes, "AAI"), *notes)
    credited = invoice.credited_invoice if invoice.is_credit_note else None
    due_date = final_due_date(payment_term, issue_date)
    terms = ""
    if credited is not None:
        terms = credit_note_terms_text(credited.number, invoice_was_paid=credited.paid_total() > 0)
    # BT-25 and BT-26: the invoice a credit note corrects, or the one a replacement invoice replaces.
    preceding = credited or invoice.replaced_invoice
    document = InvoiceDocument(
        number=number,
        type_code=invoice.type_code,
        issue_date=issue_date,
        due_date=due_date,
        delivery_date=delivery_date,
        currency=invoice.currency,
        seller=seller_party(organisation),
        buyer=customer.to_party(),
        delivery_address=delivery_address,
        lines=tuple(lines),
        business_process=process,
        buyer_reference=invoice.buyer_reference,
        purchase_order=invoice.purchase_order,
        allowances=allowances,
        charges=charges,
        prepaid=invoice.prepaid_amount,
        rounding=invoice.rounding_amount,
        vat_exemptions=exemptions,
        notes=notes,
        payment_terms=terms,
        iban=organisation.iban,
        bic=organisation.bic,
        payment_reference=number,
        legal_mentions=legal_mentions(organisation, process, notes, exemptions),
        preceding_invoice=preceding.number if preceding is not None else "",
        preceding_invoice_date=preceding.issue_date if preceding is not None else None,
    )
    document = with_source_amounts(invoice, document)
    totals = document.totals()
    if credited is None:
        # Installments print their amounts, so the text waits for the totals.
        terms = payment_terms_text(payment_term, issue_date, totals.due, invoice.currency)
    vat_total_eur = vat_total_in_euros(invoice, totals.tax_total)
    exchange_rate = invoice.exchange_rate if vat_total_eur is not None else None
    return replace(document, payment_terms=terms, vat_total_eur=vat_total_eur, exchange_rate=exchange_rate)


def with_source_amounts(invoice: Invoice, document: InvoiceDocument) -> InvoiceDocument:
    """Apply what the invoice's source (a quote) sets: cumulative VAT amounts and references."""
    bases = {row.key: row.taxable_amount for row in document.totals().breakdown}
    fixed = sources.vat_amounts(invoice, bases)
    if fixed:
        amounts = tuple(VatAmount(key.category, key.rate, amount) for key, amount in fixed.items())
        document = replace(document, vat_amounts=amounts)
    return sources.complete_document(invoice, document)


def vat_total_in_euros(invoice: Invoice, vat_total: Decimal) -> Decimal | None:
    """Return the VAT total in euros (BT-111) of an invoice in another currency.

    The French rules require it whenever the currency is not the euro. It is
    the VAT total times the invoice's exchange rate, rounded to the cent.
    Returns None for an invoice in euros, or without an exchange rate yet.
    """
    if invoice.currency.upper() == "EUR" or invoice.exchange_rate is None:
        return None
    return quantize(vat_total * invoice.exchange_rate, 2)


def draft_adjustments(
    invoice: Invoice, lines: list[DocumentLine], places: int
) -> tuple[tuple[Adjustment, ...], tuple[Adjustment, ...]]:
    """Return the draft's document-level allowances and charges, in the order issuing uses.

    The document discount comes first, then the rows of « Remises et frais sur
    le total »: ``Totals.allowance_amounts`` and ``charge_amounts`` follow this order.
    """
    allowances, charges = stored_adjustments(invoice)
    return document_allowances(invoice, lines, places) + allowances, charges


def draft_totals(invoice: Invoice, lines: Iterable[InvoiceLine] | None = None) -> Totals:
    """Compute the live totals of a draft, exactly as they will be issued.

    ``lines`` replaces the stored lines: the editor passes the lines of a form
    that is not saved yet, with their VAT already normalised.
    """
    places = currency_decimals(invoice.currency)
    source = invoice.lines.all() if lines is None else lines
    document_lines = [document_line(line, places) for line in source]
    allowances, charges = draft_adjustments(invoice, document_lines, places)

    def totals_with(vat_amounts: dict[VatKey, Decimal] | None) -> Totals:
        return compute_totals(
            (line.to_money_line() for line in document_lines),
            allowances=allowances,
            charges=charges,
            prepaid=invoice.prepaid_amount,
            rounding=invoice.rounding_amount,
            places=places,
            vat_amounts=vat_amounts,
        )

    totals = totals_with(None)
    fixed = sources.vat_amounts(invoice, {row.key: row.taxable_amount for row in totals.breakdown})
    return totals_with(fixed) if fixed else totals


__all__ = ["build_document", "draft_totals", "quantize"]
