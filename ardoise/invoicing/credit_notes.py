"""Credit notes (avoirs, UNTDID 1001 type 381) and « Annuler et remplacer ».

An issued invoice is never changed: it is corrected by a credit note that
references it (BT-25, BT-26), possibly followed by a new invoice. A credit note
is an ``Invoice`` row with type code 381 and ``credited_invoice`` set, so it is
numbered, issued, stored, hashed and protected exactly as an invoice is. As
EN 16931 requires, its quantities and amounts are positive: the type code
gives the sign, and ``Invoice.signed_total_with_vat`` gives the accounting view.

How the credited amounts are derived from the invoice:

- Each credit line copies an invoice line (price, unit, VAT, percentage
  discount) with the chosen quantity. A line allowance or charge given as an
  amount is credited in proportion to the quantity.
- Each document-level allowance or charge of the invoice is credited as an
  amount. These are the global discount, split per VAT rate, and the rows of
  « Remises et frais sur le total ». The amount is in proportion to the part
  of its VAT group's line net amount that the credit note covers. Deposits
  already deducted (BT-113) stay deducted: partial credit notes reduce the
  amount still due first, and credit the deposit only with what goes beyond it.
- The credit note that credits what is left of the invoice takes, for each of
  these amounts, the invoice's amount minus what the issued credit notes
  already credited. Each of its lines gets a line charge or allowance of the
  cent that rounding the partial line net amounts lost, and its rounding
  amount (BT-114) takes the cent that rounding the VAT of each credit note
  lost. So a credit note for a whole invoice is its exact negative in every
  total and VAT group, and partial credit notes always add up to the invoice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.audit.services import record
from ardoise.core.document import InvoiceDocument
from ardoise.core.formats import format_quantity
from ardoise.core.money import Adjustment, VatKey, currency_decimals, quantize
from ardoise.invoicing.documents import adjustment_from_json, adjustment_to_json, document_line, draft_totals
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import (
    DiscountKind,
    DocumentType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    NumberingSeries,
)

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
QUANTITY_PLACES = 4
CREDIT_NOTE_PATTERN = "AV-{YYYY}-{NNNN}"

# (is_charge, VAT group, reason, reason code): the credited amounts are matched on these.
AdjustmentKey = tuple[bool, VatKey, str, str]


@dataclass(frozen=True)
class CreditableLine:
    """An invoice line as the credit note form shows it: its rank on the invoice and what is left to credit."""

    rank: int  # 1 for the first line printed on the invoice
    line: InvoiceLine
    remaining: Decimal  # same sign as the line's quantity


# Numbering


def create_credit_note_series(organisation: Organisation) -> NumberingSeries:
    """Create the « Avoirs » series and make it the organisation's series for credit notes."""
    series, _created = NumberingSeries.objects.get_or_create(
        organisation=organisation, name=_("Avoirs"), defaults={"pattern": CREDIT_NOTE_PATTERN}
    )
    organisation.credit_note_series = series
    organisation.save(update_fields=["credit_note_series"])
    return series


def series_for(invoice: Invoice) -> NumberingSeries:
    """Return the series a draft without one is numbered in when issued.

    A credit note takes the organisation's credit note series, or else the
    series of the invoice it corrects (a shared sequence stays gapless either way).
    """
    from ardoise.invoicing.services import default_series

    organisation = invoice.organisation
    if invoice.is_credit_note:
        credited = invoice.credited_invoice
        series = organisation.credit_note_series or (credited.series if credited else None)
        if series is not None:
            return series
    return default_series(organisation)


# Checks


def check_creditable(invoice: Invoice) -> None:
    """Raise ``InvoicingError`` unless a credit note can be created for ``invoice``."""
    if invoice.is_credit_note:
        raise InvoicingError(
            _("%(number)s est un avoir : un avoir ne peut pas être crédité. Créez l'avoir depuis la facture d'origine.")
            % {"number": invoice.number or invoice.pk}
        )
    if invoice.is_draft:
        raise InvoicingError(
            _(
                "Le brouillon n° %(id)s n'est pas émis : modifiez-le ou supprimez-le, "
                "un avoir ne corrige qu'une facture émise."
            )
            % {"id": invoice.pk}
        )
    if not any(line.remaining for line in creditable_lines(invoice)):
        raise InvoicingError(
            _(
                "La facture %(number)s est déjà entièrement reprise par ses avoirs, émis ou en brouillon : "
                "il ne reste rien à créditer."
            )
            % {"number": invoice.number}
        )


def creditable_lines(
    invoice: Invoice, *, exclude: Invoice | None = None, issued_only: bool = False
) -> list[CreditableLine]:
    """List the invoice's lines with the quantity left to credit.

    Draft credit notes count too, unless ``issued_only``: two drafts cannot
    together credit more than the invoice. ``exclude`` is the credit note being
    edited or issued, whose own lines do not count.
    """
    credit_lines = InvoiceLine.objects.filter(credited_line__invoice=invoice)
    if exclude is not None:
        credit_lines = credit_lines.exclude(invoice=exclude)
    if issued_only:
        credit_lines = credit_lines.filter(invoice__status=InvoiceStatus.ISSUED)
    credited = dict(
        credit_lines.order_by()
        .values("credited_line")
        .annotate(total=Sum("quantity"))
        .values_list("credited_line", "total")
    )
    return [
        CreditableLine(rank, line, line.quantity - Decimal(credited.get(line.pk) or 0))
        for rank, line in enumerate(invoice.lines.all(), start=1)
    ]


def resolve_quantities(
    invoice: Invoice, quantities: Mapping[int, Decimal] | None, *, exclude: Invoice | None = None
) -> list[tuple[CreditableLine, Decimal]]:
    """Check the requested quantity per line rank; return the lines to credit with their signed quantities.

    ``None`` credits everything left. Raise ``InvoicingError`` naming the line
    and the quantity left when a request does not fit.
    """
    lines = creditable_lines(invoice, exclude=exclude)
    if quantities is None:
        chosen = [(line, line.remaining) for line in lines if line.remaining]
    else:
        by_rank = {line.rank: line for line in lines}
        unknown = sorted(rank for rank in quantities if rank not in by_rank)
        if unknown:
            raise InvoicingError(
                _("La facture %(number)s n'a pas de ligne n° %(rank)s : elle compte %(count)s ligne(s).")
                % {"number": invoice.number, "rank": unknown[0], "count": len(lines)}
            )
        chosen = [
            (by_rank[rank], _checked_quantity(by_rank[rank], quantity))
            for rank, quantity in sorted(quantities.items())
            if quantity
        ]
    if not chosen:
        raise InvoicingError(_("Indiquez au moins une ligne et une quantité à créditer."))
    return chosen


def _checked_quantity(creditable: CreditableLine, quantity: Decimal) -> Decimal:
    """Return the quantity with the sign of the invoice line, or raise if it does not fit."""
    name = _line_name(creditable)
    if quantity < 0:
        raise InvoicingError(
            _("%(line)s : la quantité à créditer doit être positive (%(quantity)s saisi).")
            % {"line": name, "quantity": format_quantity(quantity)}
        )
    if quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise InvoicingError(
            _("%(line)s : la quantité %(quantity)s a trop de décimales, %(places)s au plus.")
            % {"line": name, "quantity": format_quantity(quantity), "places": QUANTITY_PLACES}
        )
    if quantity > abs(creditable.remaining):
        raise InvoicingError(too_much_message(creditable, quantity))
    return -quantity if creditable.line.quantity < 0 else quantity


def _line_name(creditable: CreditableLine) -> str:
    return _("Ligne %(rank)s (« %(name)s »)") % {"rank": creditable.rank, "name": creditable.line.name}


def too_much_message(creditable: CreditableLine, quantity: Decimal) -> str:
    return _("%(line)s : %(quantity)s à créditer, mais il ne reste que %(remaining)s à créditer sur cette ligne.") % {
        "line": _line_name(creditable),
        "quantity": format_quantity(abs(quantity)),
        "remaining": format_quantity(abs(creditable.remaining)),
    }


# Creating and editing


def create_credit_note(
    invoice: Invoice,
    quantities: Mapping[int, Decimal] | None = None,
    *,
    notes: str = "",
    user: Any = None,
    request: Any = None,
) -> Invoice:
    """Create a draft credit note for ``invoice``: every quantity left, or ``quantities`` per line rank."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("organisation", "customer").get(pk=invoice.pk)
        check_creditable(invoice)
        chosen = resolve_quantities(invoice, quantities)
        credit_note = Invoice.objects.create(
            organisation=invoice.organisation,
            customer=invoice.customer,
            type_code=DocumentType.CREDIT_NOTE,
            credited_invoice=invoice,
            currency=invoice.currency,
            exchange_rate=invoice.exchange_rate,
            delivery_date=invoice.delivery_date,
            # The amount is available at once: the due date (BT-9) is the issue date.
            payment_terms_days=0,
            purchase_order=invoice.purchase_order,
            buyer_reference=invoice.buyer_reference,
            vat_exemptions=invoice.vat_exemptions,
            notes=notes,
        )
        _write_lines(credit_note, chosen)
        derive_amounts(credit_note)
        record(
            invoice.organisation,
            "credit_note.draft_created",
            credit_note,
            user=user,
            request=request,
            data={"invoice": invoice.number, "lines": len(chosen), "amount_due": str(credit_note.amount_due)},
        )
    logger.info(
        "credit note drafted organisation=%s invoice=%s credit_note=%s",
        invoice.organisation_id,
        invoice.pk,
        credit_note.pk,
    )
    return credit_note


def update_credit_note(
    credit_note: Invoice, quantities: Mapping[int, Decimal], *, notes: str, user: Any = None, request: Any = None
) -> Invoice:
    """Replace the lines and notes of a draft credit note; ``quantities`` are per invoice line rank."""
    from ardoise.invoicing.services import _lock_draft

    with transaction.atomic():
        _lock_draft(credit_note)
        invoice = Invoice.objects.select_for_update().get(pk=credit_note.credited_invoice_id or 0)
        chosen = resolve_quantities(invoice, quantities, exclude=credit_note)
        for line in credit_note.lines.all():
            line.delete()
        credit_note.notes = notes
        credit_note.save()
        _write_lines(credit_note, chosen)
        derive_amounts(credit_note)
        record(
            credit_note.organisation,
            "credit_note.draft_updated",
            credit_note,
            user=user,
            request=request,
            data={"lines": len(chosen), "amount_due": str(credit_note.amount_due)},
        )
    return credit_note


def _write_lines(credit_note: Invoice, chosen: list[tuple[CreditableLine, Decimal]]) -> None:
    for position, (creditable, quantity) in enumerate(chosen, start=1):
        source = creditable.line
        InvoiceLine.objects.create(
            invoice=credit_note,
            position=position,
            credited_line=source,
            product=source.product,
            name=source.name,
            description=source.description,
            is_service=source.is_service,
            quantity=quantity,
            unit=source.unit,
            unit_price=source.unit_price,
            gross_price=source.gross_price,
            base_quantity=source.base_quantity,
            vat_rate=source.vat_rate,
            vat_category=source.vat_category,
            exemption=source.exemption,
            exemption_text=source.exemption_text,
            discount_percent=source.discount_percent,
            extra_adjustments=source.extra_adjustments,
        )


# Amounts derived from the invoice


def derive_amounts(credit_note: Invoice) -> None:
    """Set the credit note's amount-based adjustments, deposits and rounding from its invoice, then its totals.

    Issuing calls it again, so that the amounts follow the credit notes issued
    meanwhile. See the module docstring for the rules.
    """
    from ardoise.invoicing.services import refresh_totals

    invoice = credit_note.credited_invoice
    assert invoice is not None
    earlier = list(invoice.credit_notes.issued().exclude(pk=credit_note.pk))
    lines = list(credit_note.lines.select_related("credited_line"))
    left = {c.line.pk: c.remaining for c in creditable_lines(invoice, exclude=credit_note, issued_only=True)}
    exhausts = all(left[pk] == _credited_here(lines, pk) for pk in left)
    places = currency_decimals(invoice.currency)

    for line in lines:
        exhausts_line = left.get(line.credited_line_id or 0) == line.quantity
        _derive_line_adjustments(line, earlier, exhausts_line=exhausts_line, places=places)

    source = InvoiceDocument.from_json(invoice.document or {})
    source_totals = source.totals()
    share = _Share(source, [document_line(line, places) for line in lines], places)
    already = _credited_adjustments(earlier)
    adjustments = []
    for key, amount in _invoice_adjustments(source, source_totals).items():
        left_to_credit = amount - already.get(key, ZERO)
        if exhausts:
            # Kept even at zero: the invoice has this VAT group, so its exact negative has it too.
            adjustments.append(_amount_adjustment(key, left_to_credit))
            continue
        credited = min(share.of(amount, key[1]), left_to_credit)
        if credited:
            adjustments.append(_amount_adjustment(key, credited))

    credit_note.discount_kind = DiscountKind.PERCENT
    credit_note.discount_value = ZERO
    credit_note.discount_reason = ""
    credit_note.document_adjustments = [_with_exemption(adjustment, invoice) for adjustment in adjustments]
    prepaid_before = sum((note.prepaid_amount for note in earlier), ZERO)
    rounding_before = sum((note.rounding_amount for note in earlier), ZERO)
    if not exhausts:
        # The deposit stays deducted from what the customer still owes: a partial credit note first
        # reduces the amount due, and only the part of all credits beyond that amount credits the deposit.
        credit_note.rounding_amount = ZERO
        inclusive_before = sum((note.total_with_vat for note in earlier), ZERO)
        due_after_deposit = source_totals.tax_inclusive - source_totals.prepaid
        beyond_due = inclusive_before + draft_totals(credit_note).tax_inclusive - due_after_deposit
        credit_note.prepaid_amount = max(ZERO, min(beyond_due, source_totals.prepaid) - prepaid_before)
        # Rounding each credit line up can credit a cent or two more than is left, on tiny invoices or
        # with the invoice's own rounding amount: a negative rounding amount (BT-114) takes it back.
        left_to_credit = source_totals.due - sum((note.amount_due for note in earlier), ZERO)
        excess = draft_totals(credit_note).due - left_to_credit
        if excess > 0:
            credit_note.rounding_amount = -excess
    else:
        credit_note.prepaid_amount = source_totals.prepaid - prepaid_before
        credit_note.rounding_amount = source_totals.rounding - rounding_before
        # Each credit note rounds its own VAT, so partial ones may miss the invoice's VAT by a cent:
        # the last one absorbs it in its rounding amount (BT-114) so that the invoice's balance closes.
        credited_before = sum((note.amount_due for note in earlier), ZERO)
        missing = source_totals.due - credited_before - draft_totals(credit_note).due
        credit_note.rounding_amount += missing
    credit_note.save()
    refresh_totals(credit_note)


def _credited_here(lines: list[InvoiceLine], invoice_line_pk: int) -> Decimal:
    return sum((line.quantity for line in lines if line.credited_line_id == invoice_line_pk), ZERO)


class _Share:
    """The part of the invoice a credit note covers: per VAT group, and over all lines."""

    def __init__(self, invoice: InvoiceDocument, credited: list[Any], places: int) -> None:
        self.places = places
        self.invoice_groups = _group_nets(invoice.lines)
        self.credited_groups = _group_nets(credited)
        self.invoice_total = sum(self.invoice_groups.values(), ZERO)
        self.credited_total = sum(self.credited_groups.values(), ZERO)

    def of(self, amount: Decimal, group: VatKey | None = None) -> Decimal:
        # A group with no line (a charge alone at its rate) follows the whole invoice.
        if group is not None and self.invoice_groups.get(group):
            return quantize(amount * self.credited_groups.get(group, ZERO) / self.invoice_groups[group], self.places)
        if not self.invoice_total:
            return ZERO
        return quantize(amount * self.credited_total / self.invoice_total, self.places)


def _group_nets(lines: Any) -> dict[VatKey, Decimal]:
    nets: dict[VatKey, Decimal] = {}
    for line in lines:
        key = VatKey(line.vat_category, line.vat_rate)
        nets[key] = nets.get(key, ZERO) + line.net_amount
    return nets


def _invoice_adjustments(document: InvoiceDocument, totals: Any) -> dict[AdjustmentKey, Decimal]:
    amounts: dict[AdjustmentKey, Decimal] = {}
    pairs = [*zip(document.allowances, totals.allowance_amounts, strict=True)]
    pairs += [*zip(document.charges, totals.charge_amounts, strict=True)]
    for adjustment, amount in pairs:
        key = _key(adjustment)
        amounts[key] = amounts.get(key, ZERO) + amount
    return amounts


def _credited_adjustments(credit_notes: list[Invoice]) -> dict[AdjustmentKey, Decimal]:
    """Add up the adjustments of issued credit notes, which are all amounts (see ``derive_amounts``)."""
    amounts: dict[AdjustmentKey, Decimal] = {}
    for note in credit_notes:
        for raw in note.document_adjustments:
            adjustment = adjustment_from_json(raw)
            key = _key(adjustment)
            amounts[key] = amounts.get(key, ZERO) + (adjustment.amount or ZERO)
    return amounts


def _key(adjustment: Adjustment) -> AdjustmentKey:
    assert adjustment.vat is not None, "document-level adjustments always carry a VAT group"
    return (adjustment.is_charge, adjustment.vat, adjustment.reason, adjustment.reason_code)


def _amount_adjustment(key: AdjustmentKey, amount: Decimal) -> Adjustment:
    is_charge, vat, reason, reason_code = key
    return Adjustment(is_charge=is_charge, amount=amount, reason=reason, reason_code=reason_code, vat=vat)


def _with_exemption(adjustment: Adjustment, invoice: Invoice) -> dict[str, Any]:
    """Store an adjustment with the exemption of the invoice row at its VAT group, which states its 0 % reason."""
    stored = adjustment_to_json(adjustment)
    for raw in invoice.document_adjustments:
        same_group = raw.get("vat_category") == stored["vat_category"] and raw.get("vat_rate") == stored["vat_rate"]
        if same_group and raw.get("exemption"):
            return {**stored, "exemption": raw["exemption"]}
    return stored


def _derive_line_adjustments(line: InvoiceLine, earlier: list[Invoice], *, exhausts_line: bool, places: int) -> None:
    """Credit a line allowance or charge of a fixed amount in proportion to the credited quantity.

    Fixed means an amount, or a percentage of a stated base: both belong to
    the invoice line's whole quantity. A plain percentage follows the credited
    quantity by itself and is kept as it is. The credit line that exhausts an
    invoice line also gets the cent that rounding each part's net amount lost.
    """
    source = line.credited_line
    assert source is not None
    earlier_lines = list(InvoiceLine.objects.filter(credited_line=source, invoice__in=earlier))
    adjusted = []
    for index, raw in enumerate(source.extra_adjustments):
        before = sum((_fixed_amount(other.extra_adjustments, index, places) for other in earlier_lines), ZERO)
        if not _is_fixed(raw) or (exhausts_line and not before):
            adjusted.append(raw)
            continue
        amount = _fixed_amount(source.extra_adjustments, index, places)
        credited = amount - before if exhausts_line else quantize(amount * line.quantity / source.quantity, places)
        adjusted.append({**raw, "amount": str(credited), "percent": None, "base": None})
    line.extra_adjustments = adjusted

    if exhausts_line and earlier_lines:
        credited_before = sum((document_line(other, places).net_amount for other in earlier_lines), ZERO)
        missing = document_line(source, places).net_amount - credited_before - document_line(line, places).net_amount
        if missing:
            line.extra_adjustments = [*adjusted, _rounding_adjustment(missing)]
    line.save(update_fields=["extra_adjustments"])


def _rounding_adjustment(missing: Decimal) -> dict[str, Any]:
    """Return a line charge (or allowance) of the cents that partial credit lines lost to rounding."""
    reason = _("Ajustement d'arrondi des avoirs précédents")
    return adjustment_to_json(Adjustment(is_charge=missing > 0, amount=abs(missing), reason=reason))


def _is_fixed(raw: dict[str, Any]) -> bool:
    return raw.get("amount") not in (None, "") or raw.get("base") not in (None, "")


def _fixed_amount(adjustments: list[dict[str, Any]], index: int, places: int) -> Decimal:
    """Return the amount of the fixed adjustment at ``index``, or zero when there is none."""
    raw = adjustments[index] if index < len(adjustments) else {}
    if not _is_fixed(raw):
        return ZERO
    # A fixed adjustment does not depend on the line amount, so any base will do.
    return adjustment_from_json(raw).resolve(ZERO, places)


# Issuing


def check_ready_to_issue(credit_note: Invoice) -> list[str]:
    """Return what stops a draft credit note from being issued, in French."""
    invoice = credit_note.credited_invoice
    if invoice is None or invoice.is_draft:
        return [_("L'avoir doit se rapporter à une facture émise.")]
    left = {c.line.pk: c for c in creditable_lines(invoice, exclude=credit_note, issued_only=True)}
    problems = []
    for line in credit_note.lines.all():
        creditable = left.get(line.credited_line_id or 0)
        if creditable is None:
            problems.append(
                _("La ligne « %(name)s » ne correspond à aucune ligne de la facture.") % {"name": line.name}
            )
        elif abs(line.quantity) > abs(creditable.remaining):
            problems.append(too_much_message(creditable, line.quantity))
    return problems


# Cancel and replace


def cancel_and_replace(
    invoice: Invoice, *, user: Any = None, request: Any = None, today: datetime.date | None = None
) -> tuple[Invoice, Invoice]:
    """Issue a credit note for everything left on ``invoice`` and open a corrected copy as a new draft.

    Both happen in one transaction: if the credit note cannot be issued, no
    draft is left behind.
    """
    from ardoise.invoicing.services import issue_invoice

    pending = invoice.credit_notes.filter(status=InvoiceStatus.DRAFT).order_by("id").first()
    if pending is not None:
        # Otherwise the invoice would only be cancelled in part, although the confirmation page promises it in full.
        raise InvoicingError(
            _(
                "Le brouillon d'avoir n° %(id)s porte déjà sur la facture %(number)s : émettez-le ou supprimez-le, "
                "puis recommencez."
            )
            % {"id": pending.pk, "number": invoice.number}
        )
    with transaction.atomic():
        credit_note = create_credit_note(invoice, user=user, request=request)
        credit_note = issue_invoice(credit_note, user=user, request=request, today=today)
        draft = replacement_draft(invoice, user=user, request=request)
        record(
            invoice.organisation,
            "invoice.cancelled_and_replaced",
            invoice,
            user=user,
            request=request,
            data={"credit_note": credit_note.number, "draft": draft.pk},
        )
    return credit_note, draft


def replacement_draft(invoice: Invoice, *, user: Any = None, request: Any = None) -> Invoice:
    """Copy an issued invoice into a new draft that points back to it, ready to be corrected."""
    from ardoise.invoicing.services import save_draft

    copy_fields = [
        "organisation", "customer", "series", "type_code", "currency", "exchange_rate", "delivery_date",
        "payment_terms_days", "purchase_order", "buyer_reference", "discount_kind", "discount_value",
        "discount_reason", "notes", "document_adjustments", "vat_exemptions", "prepaid_amount", "rounding_amount",
    ]  # fmt: skip
    draft = Invoice(replaced_invoice=invoice, **{name: getattr(invoice, name) for name in copy_fields})
    line_fields = [
        "product", "name", "description", "is_service", "quantity", "unit", "unit_price", "gross_price",
        "base_quantity", "vat_rate", "vat_category", "exemption", "exemption_text", "discount_percent",
        "extra_adjustments",
    ]  # fmt: skip
    lines = [InvoiceLine(**{name: getattr(line, name) for name in line_fields}) for line in invoice.lines.all()]
    return save_draft(draft, lines, user=user, request=request)
