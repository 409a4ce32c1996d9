"""Invoicing an accepted quote: full, deposit, progress and final invoices.

``plan`` computes what an invoice would charge per VAT rate (the preview),
``create_invoice`` writes it as an ordinary invoice draft linked to the quote
by a ``QuoteInvoice``, and ``issue_from_quote`` also issues it (the command
line). The amounts come from ``ardoise.quotes.allocation``. What was already
invoiced is read from the issued invoices of the quote and their credit
notes, never from what was requested.

``QuoteInvoiceSource`` plugs into invoicing: it gives the draft its
cumulative VAT, adds the quote's number and the deducted invoices to the
snapshot, refuses to issue a draft computed on a state of the quote that
has changed since, and moves the quote's status once the invoice is issued.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ardoise.audit.services import record
from ardoise.core.document import InvoiceDocument, InvoiceReference
from ardoise.core.formats import format_amount, format_date, format_rate
from ardoise.core.money import ZERO, VatKey
from ardoise.invoicing.documents import draft_totals
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.invoicing.services import issue_invoice
from ardoise.quotes import allocation
from ardoise.quotes.allocation import AllocationError, Amounts, Progress, Step
from ardoise.quotes.billing_lines import (
    Deduction,
    deposit_lines,
    final_draft,
    full_draft,
    progress_draft,
    progress_items,
    quote_draft,
)
from ardoise.quotes.billing_models import BillingKind, QuoteInvoice
from ardoise.quotes.exceptions import QuoteError
from ardoise.quotes.models import Quote, QuoteStatus
from ardoise.quotes.services import mark_invoiced

logger = logging.getLogger(__name__)

BILLABLE_STATUSES = (QuoteStatus.ACCEPTED, QuoteStatus.PARTIALLY_INVOICED)


@dataclass(frozen=True)
class BillingChoice:
    """The invoice a user requests: a kind with its percentage or amount.

    ``line_percents`` maps quote line ids to cumulative percentages for a
    progress invoice per line; a progress invoice without it applies
    ``percent`` to every line.
    """

    kind: str
    percent: Decimal | None = None
    amount: Decimal | None = None
    including_vat: bool = False
    line_percents: dict[int, Decimal] | None = None


@dataclass(frozen=True)
class BilledInvoice:
    """An issued invoice of the quote, with what it still charges once its credit notes are deducted."""

    link: QuoteInvoice
    invoice: Invoice
    charged: dict[VatKey, Amounts]
    net: dict[VatKey, Amounts]
    credit_notes: tuple[Invoice, ...] = ()

    @property
    def is_cancelled(self) -> bool:
        return not any(amounts.base or amounts.vat for amounts in self.net.values())


@dataclass(frozen=True)
class Plan:
    """The amounts a new invoice of the quote would charge, before it is written."""

    choice: BillingChoice
    quote_figures: dict[VatKey, Amounts]
    invoiced: dict[VatKey, Amounts]
    step: Step
    progress: Progress | None = None
    deductions: tuple[Deduction, ...] = field(default=())


# Figures


def quote_figures(quote: Quote) -> dict[VatKey, Amounts]:
    """Return the quote's VAT breakdown after its line and document discounts."""
    totals = draft_totals(quote)  # type: ignore[arg-type]
    return {row.key: Amounts(row.taxable_amount, row.tax_amount) for row in totals.breakdown}


def document_figures(invoice: Invoice) -> dict[VatKey, Amounts]:
    """Return the VAT breakdown of an issued invoice or credit note, as its snapshot states it."""
    if invoice.document is None:
        return {}
    totals = InvoiceDocument.from_json(invoice.document).totals()
    return {row.key: Amounts(row.taxable_amount, row.tax_amount) for row in totals.breakdown}


def billed_invoices(quote: Quote, *, exclude: int | None = None) -> list[BilledInvoice]:
    """Return the issued invoices of the quote in order of issue, each net of its issued credit notes."""
    links = QuoteInvoice.objects.filter(quote=quote, invoice__status=InvoiceStatus.ISSUED)
    if exclude is not None:
        links = links.exclude(invoice_id=exclude)
    billed = []
    for link in links.select_related("invoice").order_by("invoice__issued_at", "invoice_id"):
        invoice = link.invoice
        credit_notes = tuple(invoice.credit_notes.issued().order_by("issued_at", "id"))
        charged = document_figures(invoice)
        credited = allocation.add_figures(*(document_figures(note) for note in credit_notes))
        net = allocation.remaining(charged, credited)
        billed.append(BilledInvoice(link, invoice, charged, net, credit_notes))
    return billed


def invoiced_figures(quote: Quote, *, exclude: int | None = None) -> dict[VatKey, Amounts]:
    """Return what the quote's issued invoices charge per VAT key, net of their credit notes."""
    return nonzero(allocation.add_figures(*(item.net for item in billed_invoices(quote, exclude=exclude))))


def nonzero(figures: dict[VatKey, Amounts]) -> dict[VatKey, Amounts]:
    return {key: amounts for key, amounts in figures.items() if amounts.base or amounts.vat}


def figures_to_json(figures: dict[VatKey, Amounts]) -> list[dict[str, str]]:
    return [
        {"category": key.category, "rate": str(key.rate), "base": str(a.base), "vat": str(a.vat)}
        for key, a in figures.items()
    ]


def figures_from_json(rows: list[dict[str, str]]) -> dict[VatKey, Amounts]:
    return {
        VatKey(row["category"], Decimal(row["rate"])): Amounts(Decimal(row["base"]), Decimal(row["vat"]))
        for row in rows
    }


# Planning and writing invoices


def check_billable(quote: Quote) -> None:
    if quote.is_proforma:
        raise QuoteError(
            _("%(number)s est une facture pro forma : elle ne se facture pas. Établissez un devis.")
            % {"number": quote.number or quote.pk}
        )
    if quote.status == QuoteStatus.INVOICED:
        raise QuoteError(
            _(
                "Le devis %(number)s est déjà entièrement facturé. Pour le facturer à nouveau, "
                "établissez d'abord un avoir sur la facture à corriger."
            )
            % {"number": quote.number}
        )
    if quote.status not in BILLABLE_STATUSES:
        raise QuoteError(
            _("Le devis %(number)s est « %(status)s » : seul un devis accepté peut être facturé.")
            % {"number": quote.number or quote.pk, "status": quote.get_status_display()}
        )


def plan(quote: Quote, choice: BillingChoice) -> Plan:
    """Compute what the invoice chosen would charge per VAT rate; raise ``QuoteError`` when it cannot be made."""
    check_billable(quote)
    figures = quote_figures(quote)
    billed = billed_invoices(quote)
    invoiced = nonzero(allocation.add_figures(*(item.net for item in billed)))
    options = {"places": quote.places, "currency": quote.currency}
    try:
        if choice.kind == BillingKind.FULL:
            return Plan(choice, figures, invoiced, allocation.full_invoice(figures, invoiced, currency=quote.currency))
        if choice.kind == BillingKind.DEPOSIT:
            return Plan(choice, figures, invoiced, _deposit_step(figures, invoiced, choice, options))
        if choice.kind == BillingKind.PROGRESS:
            progress = _progress(quote, billed, figures, invoiced, choice)
            return Plan(choice, figures, invoiced, progress.step, progress=progress)
        if choice.kind == BillingKind.FINAL:
            step = allocation.final_balance(figures, invoiced, currency=quote.currency)
            deductions = tuple(_deductions(billed))
            return Plan(choice, figures, invoiced, step, deductions=deductions)
    except AllocationError as error:
        raise QuoteError(error.message) from None
    raise ValueError("Unknown billing kind %r" % choice.kind)


def _deposit_step(
    figures: dict[VatKey, Amounts], invoiced: dict[VatKey, Amounts], choice: BillingChoice, options: dict[str, Any]
) -> Step:
    if choice.percent is not None:
        return allocation.deposit_from_percent(figures, invoiced, choice.percent, **options)
    if choice.amount is None:
        raise AllocationError(_("Indiquez le pourcentage ou le montant de l'acompte."))
    return allocation.deposit_from_amount(
        figures, invoiced, choice.amount, including_vat=choice.including_vat, **options
    )


def _progress(
    quote: Quote,
    billed: list[BilledInvoice],
    figures: dict[VatKey, Amounts],
    invoiced: dict[VatKey, Amounts],
    choice: BillingChoice,
) -> Progress:
    states = [item.link.progress for item in billed if item.link.kind == BillingKind.PROGRESS and not item.credit_notes]
    items, line_ids = progress_items(quote, states)
    if choice.line_percents is None and choice.percent is None:
        raise AllocationError(_("Indiquez le pourcentage cumulé de la situation."))
    percents: list[Decimal | None] = []
    for item, line_id in zip(items, line_ids, strict=True):
        if item.follows_key:
            percents.append(None)
        elif choice.line_percents is not None:
            percents.append(choice.line_percents.get(line_id or 0, item.percent_before))
        else:
            percents.append(choice.percent)
    return allocation.progress_step(figures, invoiced, items, percents, places=quote.places, currency=quote.currency)


def reached_percents(quote: Quote) -> dict[int, Decimal]:
    """Return the cumulative percentage each quote line reached in the issued progress invoices."""
    billed = billed_invoices(quote)
    states = [item.link.progress for item in billed if item.link.kind == BillingKind.PROGRESS and not item.credit_notes]
    items, line_ids = progress_items(quote, states)
    return {line_id: item.percent_before for item, line_id in zip(items, line_ids, strict=True) if line_id}


def _deductions(billed: list[BilledInvoice]) -> list[Deduction]:
    deductions = []
    for item in billed:
        if item.link.kind not in (BillingKind.DEPOSIT, BillingKind.PROGRESS) or item.is_cancelled:
            continue
        deductions.append(
            Deduction(
                number=item.invoice.number,
                issue_date=item.invoice.issue_date,
                is_deposit=item.link.kind == BillingKind.DEPOSIT,
                amounts=nonzero(item.net),
                credit_notes=tuple(note.number for note in item.credit_notes),
            )
        )
    return deductions


def create_invoice(quote: Quote, choice: BillingChoice, *, user: Any = None, request: Any = None) -> Invoice:
    """Write the invoice chosen as a draft linked to the quote, and return it."""
    from ardoise.invoicing.services import save_draft

    with transaction.atomic():
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        result = plan(quote, choice)
        invoice = quote_draft(quote)
        adjustments: list[dict[str, Any]] = []
        progress_rows: list[dict[str, str]] = []
        if choice.kind == BillingKind.DEPOSIT:
            invoice.type_code = DocumentType.DEPOSIT_INVOICE
            lines = deposit_lines(quote, result.step, choice.percent)
        elif choice.kind == BillingKind.PROGRESS:
            assert result.progress is not None
            lines, adjustments, progress_rows = progress_draft(quote, result.progress)
        elif choice.kind == BillingKind.FULL:
            lines, adjustments = full_draft(quote, invoice)
        else:
            lines, adjustments = final_draft(quote, result.deductions)
        invoice.document_adjustments = adjustments
        save_draft(invoice, lines, user=user, request=request)
        QuoteInvoice.objects.create(
            quote=quote,
            invoice=invoice,
            kind=choice.kind,
            percent=choice.percent,
            amount=choice.amount,
            including_vat=choice.including_vat,
            per_line=choice.line_percents is not None,
            amounts=figures_to_json(result.step.amounts),
            invoiced_before=figures_to_json(result.invoiced),
            progress=progress_rows,
        )
        record(
            quote.organisation,
            "quote.invoice_created",
            quote,
            user=user,
            request=request,
            data={"kind": choice.kind, "invoice": invoice.pk, "total_with_vat": str(result.step.total)},
        )
    logger.info("quote invoice drafted quote=%s invoice=%s kind=%s", quote.pk, invoice.pk, choice.kind)
    return invoice


def issue_from_quote(
    quote: Quote,
    choice: BillingChoice,
    *,
    user: Any = None,
    request: Any = None,
    today: datetime.date | None = None,
) -> Invoice:
    """Create the invoice chosen and issue it in one transaction: a failure leaves no draft behind."""
    with transaction.atomic():
        invoice = create_invoice(quote, choice, user=user, request=request)
        return issue_invoice(invoice, user=user, request=request, today=today)


def create_deposit_on_acceptance(quote: Quote, *, user: Any = None, request: Any = None) -> Invoice | None:
    """Issue and e-mail the deposit invoice of a quote just accepted online, when the quote enables it.

    Returns the issued deposit invoice, or None when the quote requests no
    automatic deposit (``auto_deposit_on_acceptance`` off or no
    ``deposit_percent``). The e-mail is queued in the same transaction and
    sent after the commit, like every automatic invoice e-mail.
    """
    from ardoise.mailing.automatic import queue_invoice_email

    if not quote.auto_deposit_on_acceptance or not quote.deposit_percent:
        return None
    with transaction.atomic():
        invoice = issue_from_quote(
            quote, BillingChoice(BillingKind.DEPOSIT, percent=quote.deposit_percent), user=user, request=request
        )
        queue_invoice_email(invoice)
    return invoice


def linked_documents(quote: Quote) -> list[dict[str, str]]:
    """Return the invoices made from the quote, drafts included, and their credit notes as {label, number, url}."""
    rows = []
    links = QuoteInvoice.objects.filter(quote=quote).select_related("invoice").order_by("created_at", "id")
    for link in links:
        invoice = link.invoice
        rows.append({"label": link.get_kind_display(), "number": str(invoice), "url": invoice.get_absolute_url()})
        for note in invoice.credit_notes.order_by("id"):
            rows.append({"label": _("Avoir"), "number": str(note), "url": note.get_absolute_url()})
    return rows


# Status of the quote


def target_status(quote: Quote) -> str:
    """Return the status the quote's issued invoices call for.

    Invoiced once nothing remains and the deposits were deducted by a final
    invoice (or there are none); partially invoiced while something is
    invoiced; accepted again when credit notes cancelled everything.
    """
    billed = [item for item in billed_invoices(quote) if not item.is_cancelled]
    if not billed:
        return QuoteStatus.ACCEPTED
    invoiced = allocation.add_figures(*(item.net for item in billed))
    left = nonzero(allocation.remaining(quote_figures(quote), invoiced))
    closed = any(item.link.kind in (BillingKind.FULL, BillingKind.FINAL) for item in billed) or not any(
        item.link.kind == BillingKind.DEPOSIT for item in billed
    )
    return QuoteStatus.INVOICED if not left and closed else QuoteStatus.PARTIALLY_INVOICED


def refresh_status(quote: Quote, *, user: Any = None, request: Any = None) -> Quote:
    """Move the quote's status to what its invoices call for, with an audit entry."""
    status = target_status(quote)
    if status == quote.status:
        return quote
    if quote.status in BILLABLE_STATUSES and status != QuoteStatus.ACCEPTED:
        return mark_invoiced(quote, fully=status == QuoteStatus.INVOICED, user=user, request=request)
    # A credit note gave back part of an invoiced quote: it can be invoiced again.
    previous = quote.status
    quote.status = status
    quote.save(update_fields=["status", "updated_at"])
    record(
        quote.organisation,
        "quote.billing_reopened",
        quote,
        user=user,
        request=request,
        data={"number": quote.number, "from": previous, "to": status},
    )
    return quote


# The invoicing hooks


class QuoteInvoiceSource:
    """Completes and checks the invoices made from quotes (see ``ardoise.invoicing.sources``)."""

    def vat_amounts(self, invoice: Invoice, bases: dict[VatKey, Decimal]) -> dict[VatKey, Decimal]:
        link = _link(invoice)
        if link is None:
            return {}
        invoiced = invoiced_figures(link.quote, exclude=invoice.pk)
        planned = figures_from_json(link.amounts)
        unchanged = invoiced == nonzero(figures_from_json(link.invoiced_before)) and _same_bases(planned, bases)
        if unchanged:
            # The draft is as it was planned: keep the planned VAT, which meets a deposit's total to the cent.
            return {key: planned[key].vat if key in planned else ZERO for key in bases}
        return {
            key: allocation.cumulative_vat(key, invoiced.get(key, Amounts()), base, invoice.places)
            for key, base in bases.items()
        }

    def complete_document(self, invoice: Invoice, document: InvoiceDocument) -> InvoiceDocument:
        from dataclasses import replace

        link = _link(invoice)
        if link is None:
            return document
        document = replace(document, quote_reference=link.quote.number)
        if link.kind != BillingKind.FINAL:
            return document
        billed = billed_invoices(link.quote, exclude=invoice.pk)
        deductions = _deductions(billed)
        references = tuple(InvoiceReference(item.number, item.issue_date) for item in deductions)
        process = document.business_process
        if any(item.is_deposit for item in deductions):
            # French billing framework 4: a final invoice after deposit invoices (B4, S4, M4).
            process = process[0] + "4"
        return replace(document, deducted_invoices=references, business_process=process)

    def issue_problems(self, invoice: Invoice) -> list[str]:
        link = _link(invoice)
        if link is None:
            return []
        quote = link.quote
        problems = []
        if invoice.customer_id != quote.customer_id:
            problems.append(
                _("Le client de la facture doit rester celui du devis %(number)s (« %(customer)s »).")
                % {"number": quote.number, "customer": quote.customer.name}
            )
        if quote.status not in BILLABLE_STATUSES:
            problems.append(
                _("Le devis %(number)s est « %(status)s » : il ne peut plus être facturé.")
                % {"number": quote.number, "status": quote.get_status_display()}
            )
        invoiced = invoiced_figures(quote, exclude=invoice.pk)
        if invoiced != nonzero(figures_from_json(link.invoiced_before)):
            problems.append(
                _(
                    "Le devis %(number)s a été facturé ou crédité depuis la création de ce brouillon, "
                    "dont les montants ne sont plus justes : supprimez ce brouillon et refaites la facture "
                    "depuis la page du devis."
                )
                % {"number": quote.number}
            )
            return problems
        left = allocation.remaining(quote_figures(quote), invoiced)
        for row in draft_totals(invoice).breakdown:
            available = left.get(row.key, Amounts()).base
            if row.taxable_amount > available:
                problems.append(
                    _(
                        "La facture compte %(amount)s HT au taux %(key)s, mais il ne reste que %(available)s HT "
                        "à facturer à ce taux sur le devis %(number)s."
                    )
                    % {
                        "amount": format_amount(row.taxable_amount, invoice.currency),
                        "key": allocation.key_label(row.key),
                        "available": format_amount(available, invoice.currency),
                        "number": quote.number,
                    }
                )
        return problems

    def invoice_issued(self, invoice: Invoice, *, user: Any = None, request: Any = None) -> None:
        target = invoice.credited_invoice if invoice.is_credit_note else invoice
        link = _link(target) if target is not None else None
        if link is None:
            return
        refresh_status(link.quote, user=user, request=request)


def _link(invoice: Any) -> QuoteInvoice | None:
    if not isinstance(invoice, Invoice) or invoice.pk is None or invoice.is_credit_note:
        return None
    return QuoteInvoice.objects.select_related("quote", "quote__customer").filter(invoice_id=invoice.pk).first()


def _same_bases(planned: dict[VatKey, Amounts], bases: dict[VatKey, Decimal]) -> bool:
    planned_bases = {key: amounts.base for key, amounts in planned.items() if amounts.base}
    return planned_bases == {key: base for key, base in bases.items() if base}


# Words shown on screen and in the command line


def describe_choice(choice: BillingChoice, currency: str = "EUR") -> str:
    """Name the invoice chosen in French, e.g. « Facture d'acompte de 30 % »."""
    label = str(BillingKind(choice.kind).label)
    if choice.kind == BillingKind.DEPOSIT and choice.percent is not None:
        return _("%(label)s de %(percent)s") % {"label": label, "percent": format_rate(choice.percent)}
    if choice.kind == BillingKind.DEPOSIT and choice.amount is not None:
        return _("%(label)s de %(amount)s %(vat)s") % {
            "label": label,
            "amount": format_amount(choice.amount, currency),
            "vat": _("TTC") if choice.including_vat else _("HT"),
        }
    if choice.kind == BillingKind.PROGRESS and choice.line_percents is None and choice.percent is not None:
        return _("%(label)s à %(percent)s cumulés") % {"label": label, "percent": format_rate(choice.percent)}
    return label


def describe_invoice(item: BilledInvoice) -> str:
    """Name an issued invoice of the quote: « Facture d'acompte FA-2026-0012 du 03/02/2026 »."""
    return _("%(kind)s %(number)s du %(date)s") % {
        "kind": str(BillingKind(item.link.kind).label),
        "number": item.invoice.number,
        "date": format_date(item.invoice.issue_date) if item.invoice.issue_date else "",
    }
