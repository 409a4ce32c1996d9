"""Receipts: the money received from customers or refunded to them, with the invoices each one settles."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from ardoise.api.endpoints.common import scoped_or_404, text
from ardoise.api.endpoints.invoices import PaymentOut, serialise_payment
from ardoise.api.schema import MAX_ID, PageQuery, paginate
from ardoise.payments.models import Receipt

router = Router(tags=["Paiements"])


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
    kind: Literal["received", "refund"] | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


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


@router.get("/", response=ReceiptPage, summary="Lister les encaissements et remboursements")
def list_receipts(request: HttpRequest, filters: Query[ReceiptFilters]) -> dict[str, Any]:
    receipts = _receipts(request)
    if filters.customer:
        receipts = receipts.filter(customer_id=filters.customer)
    if filters.kind:
        receipts = receipts.filter(kind=filters.kind)
    if filters.date_from:
        receipts = receipts.filter(date__gte=filters.date_from)
    if filters.date_to:
        receipts = receipts.filter(date__lte=filters.date_to)
    return paginate(receipts.order_by("-date", "-id"), filters, serialise)


@router.get("/{receipt_id}", response=ReceiptOut, summary="Lire un encaissement")
def get_receipt(request: HttpRequest, receipt_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    return serialise(scoped_or_404(request, _receipts(request), receipt_id))
