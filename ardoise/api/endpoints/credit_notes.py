"""Credit notes: create a draft for an issued invoice, update the draft, and « Annuler et remplacer ».

A credit note is an invoice row with type code 381, so it is read, issued,
sent and downloaded through ``/invoices/{id}``. The quantities are validated by
the credit note form of the UI and saved by the services of
``ardoise.invoicing.credit_notes``, as on the screen.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Router, Schema

from ardoise.api.auth import write_auth
from ardoise.api.endpoints.common import json_response, scoped_or_404
from ardoise.api.endpoints.invoices import InvoiceOut, get_serialised, issue_errors
from ardoise.api.formdata import post_value
from ardoise.api.idempotency import run_once
from ardoise.api.problems import conflict, validation_problem
from ardoise.api.schema import MAX_ID
from ardoise.invoicing.credit_forms import CreditNoteForm
from ardoise.invoicing.credit_notes import (
    CreditableLine,
    cancel_and_replace,
    check_creditable,
    create_credit_note,
    creditable_lines,
    too_much_message,
    update_credit_note,
)
from ardoise.invoicing.credit_views import _current_quantities
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import DocumentType, Invoice

# Operations under /invoices/{invoice_id}/ and under /credit-notes/{credit_note_id}.
invoice_router = Router(tags=["Factures et avoirs"])
router = Router(tags=["Factures et avoirs"])

MAX_LINES = 500


class CreditLineIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    line: int = Field(..., ge=1, le=MAX_ID, description="Id de la ligne de la facture à créditer (lines[].id).")
    quantity: Decimal = Field(..., description="Quantité à créditer, positive, 4 décimales au plus ; 0 pour aucune.")


class CreditNoteIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    """The invoice lines and quantities a credit note credits, and its notes; on an update, a field left out is kept."""

    lines: list[CreditLineIn] | None = Field(
        None,
        max_length=MAX_LINES,
        description=(
            "Lignes et quantités à créditer. À la création, sans ce champ, l'avoir reprend tout ce qui reste "
            "à créditer sur la facture. Les lignes non citées ne sont pas créditées."
        ),
    )
    notes: str | None = Field(None, description="Notes imprimées sur l'avoir, par exemple le motif.")


class ReplacementOut(Schema):
    credit_note: InvoiceOut = Field(description="L'avoir émis qui annule la facture.")
    replacement: InvoiceOut = Field(description="Le brouillon de la facture corrigée, à modifier puis émettre.")


def _credit_form(
    invoice: Invoice,
    payload: CreditNoteIn,
    lines: list[CreditableLine],
    *,
    default_quantities: dict[int, Decimal],
    default_notes: str = "",
) -> tuple[CreditNoteForm, dict[int, int]]:
    """Bind the credit note form to the payload; return it with the payload index of each line rank.

    ``default_quantities`` (per line rank) and ``default_notes`` apply to the fields the payload leaves out.
    """
    by_id = {line.line.pk: line for line in lines}
    quantities = dict(default_quantities)
    index_of_rank: dict[int, int] = {}
    errors = []
    if payload.lines is not None:
        quantities = {}
        for index, requested in enumerate(payload.lines):
            creditable = by_id.get(requested.line)
            field = "lines.%s.line" % index
            if creditable is None:
                message = _("La facture %(number)s n'a pas de ligne d'id %(id)s : voir lines[].id de la facture.")
                errors.append({"field": field, "message": message % {"number": invoice.number, "id": requested.line}})
            elif creditable.rank in index_of_rank:
                message = _("La ligne d'id %(id)s est citée deux fois : indiquez-la une seule fois.")
                errors.append({"field": field, "message": message % {"id": requested.line}})
            elif requested.quantity and not creditable.remaining:
                # The form greys out (disables) a line credited in full and would ignore the quantity.
                message = too_much_message(creditable, requested.quantity)
                errors.append({"field": "lines.%s.quantity" % index, "message": message})
            else:
                index_of_rank[creditable.rank] = index
                quantities[creditable.rank] = requested.quantity
    if errors:
        raise validation_problem(errors)

    data = {CreditNoteForm.field_name(line): post_value(quantities.get(line.rank, Decimal("0"))) for line in lines}
    data["notes"] = payload.notes if payload.notes is not None else default_notes
    form = CreditNoteForm(data, lines=lines, initial_quantities={})
    return form, index_of_rank


def _form_errors(form: CreditNoteForm, index_of_rank: dict[int, int]) -> list[dict[str, Any]]:
    """Return the form's errors with the field of the payload: ``lines.<index>.quantity``, ``lines`` or ``notes``."""
    field_of = {form.field_name(line): line.rank for line in form.lines}
    errors: list[dict[str, Any]] = []
    for name, messages in form.errors.get_json_data().items():
        if name in field_of:
            index = index_of_rank.get(field_of[name])
            field = "lines.%s.quantity" % index if index is not None else "lines"
        elif name == "__all__":
            field = "lines"
        else:
            field = name
        errors.extend({"field": field, "message": item["message"]} for item in messages)
    return errors


def _credit_note(request: HttpRequest, credit_note_id: int) -> Invoice:
    queryset = Invoice.objects.filter(type_code=DocumentType.CREDIT_NOTE, recurring_template__isnull=True)
    return scoped_or_404(request, queryset.select_related("credited_invoice"), credit_note_id)


# Creating


@invoice_router.post(
    "/{invoice_id}/credit-notes",
    auth=write_auth,
    response={201: InvoiceOut},
    summary="Créer un brouillon d'avoir sur une facture émise",
)
def create_credit_note_draft(
    request: HttpRequest,
    payload: CreditNoteIn,
    invoice_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    invoice = scoped_or_404(request, Invoice.objects.filter(recurring_template__isnull=True), invoice_id)

    def create() -> HttpResponse:
        try:
            check_creditable(invoice)
        except InvoicingError as error:
            raise conflict(error.message) from None
        lines = creditable_lines(invoice)
        everything = {line.rank: abs(line.remaining) for line in lines}
        form, index_of_rank = _credit_form(invoice, payload, lines, default_quantities=everything)
        if not form.is_valid():
            raise validation_problem(_form_errors(form, index_of_rank))
        try:
            credit_note = create_credit_note(
                invoice, form.quantities(), notes=form.cleaned_data["notes"], user=request.user, request=request
            )
        except InvoicingError as error:
            raise conflict(error.message) from None
        location = "/api/v1/invoices/%s" % credit_note.pk
        return json_response(get_serialised(request, credit_note.pk), 201, location=location)

    return run_once(request, idempotency_key, create)


@invoice_router.post(
    "/{invoice_id}/cancel-and-replace",
    auth=write_auth,
    response={201: ReplacementOut},
    summary="Annuler et remplacer : avoir total émis et copie de la facture en brouillon",
)
def replace_invoice(
    request: HttpRequest,
    invoice_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    invoice = scoped_or_404(request, Invoice.objects.filter(recurring_template__isnull=True), invoice_id)

    def create() -> HttpResponse:
        try:
            check_creditable(invoice)
            credit_note, draft = cancel_and_replace(invoice, user=request.user, request=request)
        except InvoicingError as error:
            raise conflict(error.message, errors=issue_errors(error)) from None
        body = {
            "credit_note": get_serialised(request, credit_note.pk),
            "replacement": get_serialised(request, draft.pk),
        }
        return json_response(body, 201, location="/api/v1/invoices/%s" % draft.pk)

    return run_once(request, idempotency_key, create)


# Reading and updating a draft


@router.get("/{credit_note_id}", response=InvoiceOut, summary="Lire un avoir")
def get_credit_note(request: HttpRequest, credit_note_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    return get_serialised(request, _credit_note(request, credit_note_id).pk)


@router.patch("/{credit_note_id}", auth=write_auth, response=InvoiceOut, summary="Modifier un brouillon d'avoir")
def update_credit_note_draft(
    request: HttpRequest, payload: CreditNoteIn, credit_note_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    credit_note = _credit_note(request, credit_note_id)
    if not credit_note.is_draft:
        raise conflict(
            _("L'avoir %(number)s est émis : il ne peut plus être modifié.") % {"number": credit_note.number}
        )
    invoice = credit_note.credited_invoice
    assert invoice is not None
    lines = creditable_lines(invoice, exclude=credit_note)
    form, index_of_rank = _credit_form(
        invoice,
        payload,
        lines,
        default_quantities=_current_quantities(credit_note, lines),
        default_notes=credit_note.notes,
    )
    if not form.is_valid():
        raise validation_problem(_form_errors(form, index_of_rank))
    try:
        update_credit_note(
            credit_note, form.quantities(), notes=form.cleaned_data["notes"], user=request.user, request=request
        )
    except InvoicingError as error:
        raise conflict(error.message) from None
    return get_serialised(request, credit_note.pk)
