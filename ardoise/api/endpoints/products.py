"""Catalogue products: list, read, create and update, validated by the product form of the UI."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Path, Query, Router, Schema

from ardoise.api.auth import write_auth
from ardoise.api.endpoints.common import json_response, reject_nul, scoped_or_404, text
from ardoise.api.formdata import current_data, overlay
from ardoise.api.idempotency import run_once
from ardoise.api.problems import form_errors, validation_problem
from ardoise.api.schema import MAX_ID, PageQuery, paginate
from ardoise.audit.services import form_changes, record
from ardoise.catalogue.forms import ProductForm, ProductSearchForm
from ardoise.catalogue.models import Product
from ardoise.catalogue.views import _search

router = Router(tags=["Articles"])


class ProductIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    """The fields of the product form; on an update, a field left out keeps its value."""

    name: str | None = None
    kind: str | None = Field(None, description="service (prestation) ou goods (vente de biens).")
    description: str | None = None
    unit: str | None = Field(None, description="Code d'unité UN/ECE rec. 20, par exemple C62 (unité) ou HUR (heure).")
    unit_price: Decimal | None = Field(None, description="Prix unitaire HT, 4 décimales au plus.")
    vat_rate: Decimal | None = Field(None, description="Taux de TVA français : 20, 10, 8.5, 5.5, 2.1 ou 0 %.")


class ProductOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    unit: str
    unit_price: str
    vat_rate: str
    is_active: bool
    created_at: datetime.datetime


class ProductPage(Schema):
    count: int
    page: int
    per_page: int
    items: list[ProductOut]


class ProductFilters(PageQuery):
    q: str | None = Field(None, max_length=100, description="Désignation ou description.")
    inactive: bool = Field(False, description="true : les articles désactivés au lieu des actifs.")


def serialise(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "name": product.name,
        "kind": product.kind,
        "description": product.description,
        "unit": product.unit,
        "unit_price": text(product.unit_price),
        "vat_rate": text(product.vat_rate),
        "is_active": product.is_active,
        "created_at": product.created_at,
    }


def rate_choice(rate: Decimal) -> Decimal:
    """Write a VAT rate with the two decimals of the form's choices, so that 20 selects « 20.00 »."""
    try:
        return rate.quantize(Decimal("0.01"))
    except InvalidOperation:
        return rate


@router.get("/", response=ProductPage, summary="Lister les articles")
def list_products(request: HttpRequest, filters: Query[ProductFilters]) -> dict[str, Any]:
    reject_nul(q=filters.q)
    search = ProductSearchForm({"q": filters.q or "", "inactive": "on" if filters.inactive else ""})
    products = _search(Product.objects.filter(organisation=request.organisation), search)  # type: ignore[attr-defined]
    return paginate(products.order_by("name", "id"), filters, serialise)


@router.get("/{product_id}", response=ProductOut, summary="Lire un article")
def get_product(request: HttpRequest, product_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    return serialise(scoped_or_404(request, Product.objects.all(), product_id))


def _bound_form(product: Product, payload: ProductIn) -> ProductForm:
    organisation = product.organisation
    values = payload.model_dump(exclude_unset=True)
    if values.get("vat_rate") is not None:
        values["vat_rate"] = rate_choice(values["vat_rate"])
    data = overlay(current_data(ProductForm(instance=product, organisation=organisation)), values)
    return ProductForm(data, instance=product, organisation=organisation)


@router.post("/", auth=write_auth, response={201: ProductOut}, summary="Créer un article")
def create_product(
    request: HttpRequest,
    payload: ProductIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    def create() -> HttpResponse:
        organisation = request.organisation  # type: ignore[attr-defined]
        form = _bound_form(Product(organisation=organisation), payload)
        if not form.is_valid():
            raise validation_problem(form_errors(form))
        with transaction.atomic():
            product = form.save()
            record(organisation, "product.created", product, request=request)
        # The database's value, with its 4 decimals, rather than the typed one.
        product.refresh_from_db()
        return json_response(serialise(product), 201, location="/api/v1/products/%s" % product.pk)

    return run_once(request, idempotency_key, create)


@router.patch("/{product_id}", auth=write_auth, response=ProductOut, summary="Modifier un article")
def update_product(
    request: HttpRequest, payload: ProductIn, product_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    product = scoped_or_404(request, Product.objects.all(), product_id)
    form = _bound_form(product, payload)
    if not form.is_valid():
        raise validation_problem(form_errors(form))
    if form.has_changed():
        with transaction.atomic():
            form.save()
            record(
                request.organisation,  # type: ignore[attr-defined]
                "product.updated",
                product,
                request=request,
                data={"changes": form_changes(form)},
            )
    product.refresh_from_db()
    return serialise(product)
