"""Credit note screens: create or edit a credit note, and « Annuler et remplacer ».

Every invoice is fetched with ``get_invoice_or_404``, so another
organisation's invoice returns 404.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ardoise.invoicing.credit_forms import CreditNoteForm
from ardoise.invoicing.credit_notes import (
    cancel_and_replace,
    check_creditable,
    create_credit_note,
    creditable_lines,
    update_credit_note,
)
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.views import get_invoice_or_404

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "POST"])
def credit_note_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the invoice's lines with what is left to credit (all of it by default), then create a draft credit note."""
    invoice = get_invoice_or_404(request, pk)
    try:
        check_creditable(invoice)
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect(invoice)

    lines = creditable_lines(invoice)
    form = CreditNoteForm(
        request.POST if request.method == "POST" else None,
        lines=lines,
        initial_quantities={line.rank: abs(line.remaining) for line in lines},
    )
    if request.method == "POST" and form.is_valid():
        try:
            credit_note = create_credit_note(
                invoice, form.quantities(), notes=form.cleaned_data["notes"], user=request.user, request=request
            )
        except InvoicingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Avoir enregistré en brouillon. Vérifiez-le, puis émettez-le."))
            return redirect(credit_note)
    return render(request, "invoicing/credit_note_form.html", {"invoice": invoice, "form": form, "credit_note": None})


@require_http_methods(["GET", "POST"])
def credit_note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the quantities and the notes of a draft credit note: the rest comes from the invoice."""
    credit_note = get_invoice_or_404(request, pk)
    if not credit_note.is_credit_note:
        return redirect("invoicing:edit", pk=credit_note.pk)
    if not credit_note.is_draft:
        messages.error(
            request,
            _("L'avoir %(number)s est émis : il ne peut plus être modifié.") % {"number": credit_note.number},
        )
        return redirect(credit_note)

    invoice = credit_note.credited_invoice
    assert invoice is not None
    lines = creditable_lines(invoice, exclude=credit_note)
    form = CreditNoteForm(
        request.POST if request.method == "POST" else None,
        lines=lines,
        initial_quantities=_current_quantities(credit_note, lines),
        initial={"notes": credit_note.notes},
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_credit_note(
                credit_note, form.quantities(), notes=form.cleaned_data["notes"], user=request.user, request=request
            )
        except InvoicingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Brouillon d'avoir mis à jour."))
            return redirect(credit_note)
    context = {"invoice": invoice, "form": form, "credit_note": credit_note}
    return render(request, "invoicing/credit_note_form.html", context)


def _current_quantities(credit_note: Invoice, lines: list) -> dict[int, Decimal]:  # type: ignore[type-arg]
    rank_of = {line.line.pk: line.rank for line in lines}
    quantities: dict[int, Decimal] = {}
    for line in credit_note.lines.all():
        rank = rank_of.get(line.credited_line_id or 0)
        if rank is not None:
            quantities[rank] = quantities.get(rank, Decimal("0")) + abs(line.quantity)
    return quantities


@require_http_methods(["GET", "POST"])
def invoice_replace(request: HttpRequest, pk: int) -> HttpResponse:
    """Explain « Annuler et remplacer » (GET), then issue the full credit note and open the corrected draft (POST)."""
    invoice = get_invoice_or_404(request, pk)
    try:
        check_creditable(invoice)
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect(invoice)
    if request.method == "GET":
        return render(
            request, "invoicing/replace_confirm.html", {"invoice": invoice, "lines": creditable_lines(invoice)}
        )

    try:
        credit_note, draft = cancel_and_replace(invoice, user=request.user, request=request)
    except InvoicingError as error:
        logger.info("cancel and replace rejected organisation=%s invoice=%s", invoice.organisation_id, invoice.pk)
        context = {"invoice": invoice, "lines": creditable_lines(invoice), "error": error}
        return render(request, "invoicing/replace_confirm.html", context)
    messages.success(
        request,
        _(
            "Avoir %(credit_note)s émis : la facture %(number)s est annulée. Voici sa copie en brouillon : "
            "corrigez-la, puis émettez-la."
        )
        % {"credit_note": credit_note.number, "number": invoice.number},
    )
    return redirect("invoicing:edit", pk=draft.pk)
