"""Invoicing an accepted quote: full, deposit, progress and final invoices.

The values are checked by the form of the « Facturer » page, the amounts are
planned and the invoice is written by ``ardoise.quotes.billing``, as on the
screen. The invoice is then an ordinary invoice of ``/invoices/{id}``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Router, Schema

from ardoise.api.auth import write_auth
from ardoise.api.endpoints.common import json_response
from ardoise.api.endpoints.invoices import InvoiceOut, get_serialised, issue_errors
from ardoise.api.endpoints.quotes import get_quote
from ardoise.api.formdata import overlay
from ardoise.api.idempotency import run_once
from ardoise.api.problems import conflict, validation_problem
from ardoise.api.schema import MAX_ID
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.quotes import billing
from ardoise.quotes.billing_forms import (
    DEPOSIT_EXCLUDING,
    DEPOSIT_INCLUDING,
    DEPOSIT_PERCENT,
    PROGRESS_OVERALL,
    PROGRESS_PER_LINE,
    QuoteBillingForm,
)
from ardoise.quotes.billing_models import BillingKind
from ardoise.quotes.exceptions import QuoteError
from ardoise.quotes.models import Quote

router = Router(tags=["Devis"])

MAX_LINES = 500


class QuoteInvoiceIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    kind: Literal["full", "deposit", "progress", "final"] = Field(
        description=(
            "full : facture totale ; deposit : facture d'acompte ; progress : facture de situation ; "
            "final : facture de solde, qui déduit les acomptes et situations émis."
        )
    )
    percent: Decimal | None = Field(
        None,
        description=(
            "deposit : pourcentage du total TTC du devis. progress : pourcentage cumulé, appliqué aux lignes "
            "absentes de per_line."
        ),
    )
    amount: Decimal | None = Field(None, description="deposit : montant de l'acompte, HT sauf avec including_vat.")
    including_vat: bool | None = Field(None, description="deposit : le montant est TTC.")
    per_line: dict[str, Decimal] | None = Field(
        None,
        max_length=MAX_LINES,
        description=(
            "progress : pourcentage cumulé par ligne, indexé par l'id de la ligne du devis (lines[].id). "
            "Sans percent, une ligne absente garde le pourcentage déjà atteint."
        ),
    )
    issue: bool | None = Field(None, description="true : émettre la facture aussitôt ; sinon elle reste en brouillon.")


# The payload fields that each kind accepts. A request must leave the others out.
ALLOWED_FIELDS = {
    BillingKind.FULL: set(),
    BillingKind.FINAL: set(),
    BillingKind.DEPOSIT: {"percent", "amount", "including_vat"},
    BillingKind.PROGRESS: {"percent", "per_line"},
}
CHOICE_FIELDS = ("percent", "amount", "including_vat", "per_line")


def _field_errors(payload: QuoteInvoiceIn) -> list[dict[str, Any]]:
    """Return the errors of fields that do not go with the kind, or are missing for it."""
    label = str(BillingKind(payload.kind).label)
    given = {name for name in CHOICE_FIELDS if getattr(payload, name) not in (None, False)}
    errors = [
        {
            "field": name,
            "message": _("Ce champ ne s'emploie pas avec « %(kind)s » (kind %(code)s) : retirez-le.")
            % {"kind": label, "code": payload.kind},
        }
        for name in CHOICE_FIELDS
        if name in given and name not in ALLOWED_FIELDS[BillingKind(payload.kind)]
    ]
    if payload.kind == BillingKind.DEPOSIT:
        if payload.percent is not None and payload.amount is not None:
            message = _("Indiquez le pourcentage ou le montant de l'acompte, pas les deux.")
            errors.append({"field": "amount", "message": message})
        if payload.including_vat and payload.amount is None:
            message = _("including_vat ne s'emploie qu'avec amount, le montant de l'acompte.")
            errors.append({"field": "including_vat", "message": message})
    return errors


def _per_line_errors(quote: Quote, per_line: dict[str, Decimal]) -> list[dict[str, Any]]:
    line_ids = {str(pk) for pk in quote.lines.values_list("pk", flat=True)}
    message = _("Le devis %(number)s n'a pas de ligne d'id « %(key)s » : voir lines[].id du devis.")
    return [
        {"field": "per_line.%s" % key, "message": message % {"number": quote.number, "key": key}}
        for key in per_line
        if key not in line_ids
    ]


def _form_data(quote: Quote, payload: QuoteInvoiceIn) -> dict[str, Any]:
    """Return what the « Facturer » page would post for the payload."""
    values: dict[str, Any] = {"kind": payload.kind}
    if payload.kind == BillingKind.DEPOSIT:
        if payload.amount is not None:
            mode = DEPOSIT_INCLUDING if payload.including_vat else DEPOSIT_EXCLUDING
            values.update(deposit_mode=mode, deposit_value=payload.amount)
        else:
            values.update(deposit_mode=DEPOSIT_PERCENT, deposit_value=payload.percent)
    elif payload.kind == BillingKind.PROGRESS and payload.per_line is None:
        values.update(progress_mode=PROGRESS_OVERALL, progress_percent=payload.percent)
    elif payload.kind == BillingKind.PROGRESS:
        # The page's per-line mode: each line named gets its percentage, the others ``percent`` when given.
        values["progress_mode"] = PROGRESS_PER_LINE
        assert payload.per_line is not None
        for line_id in quote.lines.values_list("pk", flat=True):
            values["line_%s" % line_id] = payload.per_line.get(str(line_id), payload.percent)
    return overlay({}, values)


def _api_field(name: str, payload: QuoteInvoiceIn) -> str | None:
    """Return the payload field of a « Facturer » form field."""
    if name == "deposit_value":
        return "amount" if payload.amount is not None else "percent"
    if name == "progress_percent":
        return "percent"
    if name.startswith("line_"):
        line_id = name.removeprefix("line_")
        given = payload.per_line is not None and line_id in payload.per_line
        return "per_line.%s" % line_id if given else "percent"
    if name == "__all__":
        return "per_line" if payload.per_line is not None else None
    return name


def _plan_field(payload: QuoteInvoiceIn) -> str | None:
    """Return the payload field that an amount the quote cannot take comes from."""
    if payload.kind == BillingKind.DEPOSIT:
        return "amount" if payload.amount is not None else "percent"
    if payload.kind == BillingKind.PROGRESS:
        return "per_line" if payload.per_line is not None else "percent"
    return None


def _choice(quote: Quote, payload: QuoteInvoiceIn) -> billing.BillingChoice:
    """Validate the payload as the « Facturer » form does, and return the billing choice it describes."""
    errors = _field_errors(payload)
    if payload.per_line is not None:
        errors.extend(_per_line_errors(quote, payload.per_line))
    if errors:
        raise validation_problem(errors)
    form = QuoteBillingForm(_form_data(quote, payload), quote=quote)
    if not form.is_valid():
        raise validation_problem(
            [
                {"field": _api_field(name, payload), "message": item["message"]}
                for name, messages in form.errors.get_json_data().items()
                for item in messages
            ]
        )
    return form.choice()


@router.post(
    "/{quote_id}/invoices",
    auth=write_auth,
    response={201: InvoiceOut},
    summary="Facturer un devis accepté : facture totale, d'acompte, de situation ou de solde",
)
def create_quote_invoice(
    request: HttpRequest,
    payload: QuoteInvoiceIn,
    quote_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    quote = get_quote(request, quote_id)

    def create() -> HttpResponse:
        try:
            billing.check_billable(quote)
        except QuoteError as error:
            raise conflict(error.message) from None
        choice = _choice(quote, payload)
        try:
            billing.plan(quote, choice)
        except QuoteError as error:
            field = _plan_field(payload)
            if field is None:
                # A full or final invoice has no amount to fix: the quote's invoices are what stops it.
                raise conflict(error.message) from None
            raise validation_problem([{"field": field, "message": error.message}], error.message) from None
        try:
            if payload.issue:
                invoice = billing.issue_from_quote(quote, choice, user=request.user, request=request)
            else:
                invoice = billing.create_invoice(quote, choice, user=request.user, request=request)
        except InvoicingError as error:
            raise conflict(error.message, errors=issue_errors(error)) from None
        location = "/api/v1/invoices/%s" % invoice.pk
        return json_response(get_serialised(request, invoice.pk), 201, location=location)

    return run_once(request, idempotency_key, create)
