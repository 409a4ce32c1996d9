"""Receipts: the money received from customers or refunded to them, with the invoices each one settles.

Receipts are recorded, reversed and refunded by the services of
``ardoise.payments.services``, after the forms of the receipt and refund
screens have validated the values, so that the API enforces the same rules.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Query, Router, Schema

from ardoise.api.auth import write_auth
from ardoise.api.endpoints.common import json_response, scoped_or_404, text
from ardoise.api.endpoints.invoices import PaymentOut, serialise_payment
from ardoise.api.formdata import overlay
from ardoise.api.idempotency import run_once
from ardoise.api.problems import conflict, form_errors, validation_problem
from ardoise.api.schema import MAX_ID, PageQuery, paginate
from ardoise.core.formats import format_date
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from ardoise.payments.forms import CreditRefundForm, ReceiptForm
from ardoise.payments.models import Payment, PaymentMethod, Receipt
from ardoise.payments.queries import customer_credits
from ardoise.payments.receipt_views import _currencies
from ardoise.payments.services import PaymentError, apply_credit, receive_payment, refund_credit, reverse_receipt

router = Router(tags=["Paiements"])
# Operations under /customers/{customer_id}/ and /invoices/{invoice_id}/.
customer_router = Router(tags=["Paiements"])
invoice_router = Router(tags=["Paiements"])

MAX_ALLOCATIONS = 500
METHOD_HELP = "virement, cheque, carte, especes ou prelevement ; virement par défaut."


class ReceiptOut(Schema):
    id: int
    kind: Literal["received", "refund"] = Field(description="received : encaissement ; refund : remboursement.")
    customer: int
    date: datetime.date
    amount: str
    currency: str
    method: str
    reference: str
    bank_fees: str
    reverses: int | None = Field(description="Id de l'encaissement que celui-ci annule.")
    reversed_by: int | None
    unallocated: str = Field(description="Part non affectée à une facture : le crédit du client.")
    payments: list[PaymentOut]
    created_at: datetime.datetime


class ReceiptPage(Schema):
    count: int
    page: int
    per_page: int
    items: list[ReceiptOut]


class ReceiptFilters(PageQuery):
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    invoice: int | None = Field(None, ge=1, le=MAX_ID, description="Les encaissements qui règlent cette facture.")
    kind: Literal["received", "refund"] | None = None
    method: Literal[tuple(PaymentMethod.values)] | None = None  # type: ignore[valid-type]
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class AllocationIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    invoice: int = Field(..., ge=1, le=MAX_ID, description="Id d'une facture émise du client.")
    amount: Decimal = Field(..., description="Part de l'encaissement affectée à cette facture.")


class ReceiptIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    customer: int = Field(..., ge=1, le=MAX_ID, description="Id du client qui a payé.")
    amount: Decimal = Field(..., description="Montant reçu.")
    date: datetime.date | None = Field(None, description="Date de réception ; aujourd'hui par défaut.")
    method: str | None = Field(None, description=METHOD_HELP)
    reference: str | None = None
    bank_fees: Decimal | None = Field(None, description="Ce que la banque a retenu sur le montant reçu.")
    currency: str | None = Field(None, description="EUR par défaut, ou la devise de factures émises.")
    allocations: list[AllocationIn] | None = Field(
        None,
        max_length=MAX_ALLOCATIONS,
        description=(
            "Répartition sur les factures du client. Sans ce champ : les factures ouvertes, la plus ancienne "
            "échéance d'abord. Liste vide : tout le montant reste en crédit du client."
        ),
    )


class RefundIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    amount: Decimal = Field(..., description="Montant remboursé, au plus le crédit du client.")
    date: datetime.date | None = Field(None, description="Date du remboursement ; aujourd'hui par défaut.")
    method: str | None = Field(None, description=METHOD_HELP)
    reference: str | None = None
    currency: str | None = Field(
        None, description="Devise du crédit ; la première où le client a un crédit par défaut."
    )


class CreditOut(Schema):
    currency: str
    amount: str = Field(description="Crédit du client : ce que l'entreprise lui doit hors avoirs.")


class CustomerCreditOut(Schema):
    customer: int
    credits: list[CreditOut]


class ApplyCreditIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    amount: Decimal | None = Field(None, description="Montant à appliquer ; tout ce qui est possible par défaut.")


class ApplyCreditOut(Schema):
    payments: list[PaymentOut]
    balance: str = Field(description="Reste à payer de la facture après application.")


def serialise(receipt: Receipt) -> dict[str, Any]:
    reversal = getattr(receipt, "reversal", None)
    return {
        "id": receipt.pk,
        "kind": receipt.kind,
        "customer": receipt.customer_id,
        "date": receipt.date,
        "amount": text(receipt.amount),
        "currency": receipt.currency,
        "method": receipt.method,
        "reference": receipt.reference,
        "bank_fees": text(receipt.bank_fees),
        "reverses": receipt.reverses_id,
        "reversed_by": reversal.pk if reversal is not None else None,
        "unallocated": text(receipt.unallocated()),
        "payments": [serialise_payment(payment) for payment in receipt.payments.order_by("id")],
        "created_at": receipt.created_at,
    }


def _receipts(request: HttpRequest) -> Any:
    return Receipt.objects.filter(organisation=request.organisation).select_related("reversal")  # type: ignore[attr-defined]


def _receipt_response(request: HttpRequest, receipt: Receipt) -> HttpResponse:
    body = serialise(scoped_or_404(request, _receipts(request), receipt.pk))
    return json_response(body, 201, location="/api/v1/payments/%s" % receipt.pk)


def _payment_problem(error: PaymentError) -> Exception:
    """Return the problem of a refusal: an invalid value (422) when it names a field, else a conflict (409)."""
    if error.field is None:
        return conflict(error.message)
    return validation_problem([{"field": error.field, "message": error.message}], error.message)


# Reading


@router.get("/", response=ReceiptPage, summary="Lister les encaissements et remboursements")
def list_receipts(request: HttpRequest, filters: Query[ReceiptFilters]) -> dict[str, Any]:
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        message = _("La date de début (%(start)s) est postérieure à la date de fin (%(end)s) : inversez-les.") % {
            "start": format_date(filters.date_from),
            "end": format_date(filters.date_to),
        }
        raise validation_problem([{"field": "date_from", "message": message}])
    receipts = _receipts(request)
    if filters.customer:
        receipts = receipts.filter(customer_id=filters.customer)
    if filters.invoice:
        receipts = receipts.filter(pk__in=Receipt.objects.filter(payments__invoice_id=filters.invoice).values("pk"))
    if filters.kind:
        receipts = receipts.filter(kind=filters.kind)
    if filters.method:
        receipts = receipts.filter(method=filters.method)
    if filters.date_from:
        receipts = receipts.filter(date__gte=filters.date_from)
    if filters.date_to:
        receipts = receipts.filter(date__lte=filters.date_to)
    return paginate(receipts.order_by("-date", "-id"), filters, serialise)


@router.get("/{receipt_id}", response=ReceiptOut, summary="Lire un encaissement")
def get_receipt(request: HttpRequest, receipt_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    return serialise(scoped_or_404(request, _receipts(request), receipt_id))


# Recording a receipt


def _allocated_invoices(request: HttpRequest, payload: ReceiptIn, customer: Customer | None) -> list[Invoice]:
    """Return the invoice of each allocation, or raise a problem naming each allocation that cannot settle one."""
    invoices = Invoice.objects.filter(organisation=request.organisation, recurring_template__isnull=True)  # type: ignore[attr-defined]
    found = {invoice.pk: invoice for invoice in invoices.filter(pk__in=[a.invoice for a in payload.allocations or []])}
    errors = []
    seen = set()
    for index, allocation in enumerate(payload.allocations or []):
        invoice = found.get(allocation.invoice)
        if invoice is None:
            message = _("Aucune facture d'id %(id)s dans votre entreprise.") % {"id": allocation.invoice}
        elif invoice.pk in seen:
            message = _("La facture %(number)s apparaît deux fois dans la répartition.") % {"number": invoice.number}
        elif invoice.is_draft:
            message = _("Un paiement ne peut être enregistré que sur une facture émise : émettez d'abord ce brouillon.")
        elif invoice.is_credit_note:
            message = _("%(number)s est un avoir : un encaissement ne peut régler que des factures.") % {
                "number": invoice.number
            }
        elif customer is not None and invoice.customer_id != customer.pk:
            message = _("La facture %(number)s n'est pas une facture du client %(customer)s.") % {
                "number": invoice.number,
                "customer": customer.name,
            }
        else:
            seen.add(invoice.pk)
            continue
        errors.append({"field": "allocations.%s.invoice" % index, "message": message})
    if errors:
        raise validation_problem(errors)
    return [found[allocation.invoice] for allocation in payload.allocations or []]


def _receipt_errors(form: ReceiptForm, invoices: list[Invoice]) -> list[dict[str, Any]]:
    """Return the receipt form's errors with the payload's field names: ``allocations.<index>.amount``."""
    index_of = {form.field_name(invoice): index for index, invoice in enumerate(invoices)}
    errors = []
    for error in form_errors(form):
        name = error["field"]
        if name in index_of:
            error["field"] = "allocations.%s.amount" % index_of[name]
        elif name is None:
            error["field"] = "allocations"
        errors.append(error)
    return errors


@router.post("/", auth=write_auth, response={201: ReceiptOut}, summary="Enregistrer un encaissement")
def create_receipt(
    request: HttpRequest,
    payload: ReceiptIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    def create() -> HttpResponse:
        customers = Customer.objects.filter(organisation=request.organisation).order_by("name", "id")  # type: ignore[attr-defined]
        customer = customers.filter(pk=payload.customer).first()
        invoices = _allocated_invoices(request, payload, customer)
        values = payload.model_dump(exclude_unset=True, exclude={"allocations"})
        defaults = {"date": timezone.localdate(), "method": PaymentMethod.TRANSFER, "currency": "EUR"}
        data = overlay(overlay({}, defaults), values)
        for invoice, allocation in zip(invoices, payload.allocations or [], strict=True):
            overlay(data, {ReceiptForm.field_name(invoice): allocation.amount})
        form = ReceiptForm(data, customers=customers, invoices=invoices, currencies=_currencies(request))
        if not form.is_valid():
            raise validation_problem(_receipt_errors(form, invoices))

        cleaned = form.cleaned_data
        try:
            receipt = receive_payment(
                cleaned["customer"],
                cleaned["amount"],
                cleaned["date"],
                cleaned["method"],
                cleaned["reference"],
                currency=cleaned["currency"],
                bank_fees=cleaned["bank_fees"],
                # Without allocations, the service settles the open invoices, oldest due first.
                allocations=form.allocations() if payload.allocations is not None else None,
                user=request.user,
                request=request,
            )
        except PaymentError as error:
            raise _payment_problem(error) from None
        return _receipt_response(request, receipt)

    return run_once(request, idempotency_key, create)


@router.post(
    "/{receipt_id}/reverse",
    auth=write_auth,
    response={201: ReceiptOut},
    summary="Annuler un encaissement (écriture d'annulation datée d'aujourd'hui)",
)
def reverse(
    request: HttpRequest,
    receipt_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    receipt = scoped_or_404(request, _receipts(request), receipt_id)

    def create() -> HttpResponse:
        try:
            reversal = reverse_receipt(receipt, user=request.user, request=request)
        except PaymentError as error:
            raise conflict(error.message) from None
        return _receipt_response(request, reversal)

    return run_once(request, idempotency_key, create)


# Customer credit


@customer_router.get(
    "/{customer_id}/credit", response=CustomerCreditOut, summary="Lire le crédit d'un client, par devise"
)
def get_customer_credit(request: HttpRequest, customer_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    customer = scoped_or_404(request, Customer.objects.all(), customer_id)
    credits = customer_credits(customer)
    return {
        "customer": customer.pk,
        "credits": [{"currency": currency, "amount": text(amount)} for currency, amount in credits.items()],
    }


@customer_router.post(
    "/{customer_id}/refunds",
    auth=write_auth,
    response={201: ReceiptOut},
    summary="Rembourser le crédit d'un client",
)
def refund_customer_credit(
    request: HttpRequest,
    payload: RefundIn,
    customer_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    customer = scoped_or_404(request, Customer.objects.all(), customer_id)

    def create() -> HttpResponse:
        credits = customer_credits(customer)
        currency = payload.currency or next(iter(credits), "EUR")
        credit = credits.get(currency)
        if credit is None or credit < 0:
            raise conflict(
                _("Le client %(customer)s n'a pas de crédit en %(currency)s à rembourser.")
                % {"customer": customer.name, "currency": currency}
            )
        values = payload.model_dump(exclude_unset=True, exclude={"currency"})
        data = overlay(overlay({}, {"date": timezone.localdate(), "method": PaymentMethod.TRANSFER}), values)
        form = CreditRefundForm(data, currency=currency, credit=credit)
        if not form.is_valid():
            raise validation_problem(form_errors(form))
        try:
            receipt = refund_credit(
                customer, **form.cleaned_data, currency=currency, user=request.user, request=request
            )
        except PaymentError as error:
            raise _payment_problem(error) from None
        return _receipt_response(request, receipt)

    return run_once(request, idempotency_key, create)


@invoice_router.post(
    "/{invoice_id}/apply-credit",
    auth=write_auth,
    response={201: ApplyCreditOut},
    summary="Régler une facture avec le crédit du client",
)
def apply_customer_credit(
    request: HttpRequest,
    payload: ApplyCreditIn,
    invoice_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    invoice = scoped_or_404(request, Invoice.objects.filter(recurring_template__isnull=True), invoice_id)

    def create() -> HttpResponse:
        try:
            payments = apply_credit(invoice, payload.amount, user=request.user, request=request)
        except PaymentError as error:
            raise _payment_problem(error) from None
        invoice.refresh_from_db()
        # Read back from the database, which gives each amount its two decimals.
        saved = Payment.objects.filter(pk__in=[payment.pk for payment in payments]).order_by("id")
        body = {"payments": [serialise_payment(payment) for payment in saved], "balance": text(invoice.balance())}
        return json_response(body, 201)

    return run_once(request, idempotency_key, create)
