"""Customers: list with search, read, create and update, validated by the customer form of the UI."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Path, Query, Router, Schema

from ardoise.api.auth import write_auth
from ardoise.api.endpoints.common import json_response, reject_nul, scoped_or_404
from ardoise.api.formdata import current_data, overlay
from ardoise.api.idempotency import run_once
from ardoise.api.problems import form_errors, validation_problem
from ardoise.api.schema import MAX_ID, PageQuery, paginate
from ardoise.audit.services import form_changes, record
from ardoise.customers.forms import CustomerForm, CustomerSearchForm
from ardoise.customers.models import Customer
from ardoise.customers.views import _search

router = Router(tags=["Clients"])

TEXT_FIELDS = [name for name in CustomerForm.Meta.fields if name != "payment_terms_days"]


class CustomerIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    """The fields of the customer form; on an update, a field left out keeps its value and null empties it."""

    kind: str | None = Field(None, description="company (entreprise) ou individual (particulier).")
    name: str | None = None
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    email: str | None = None
    phone: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str | None = Field(None, description="Code pays ISO 3166 à deux lettres, FR par défaut.")
    delivery_address_line1: str | None = None
    delivery_address_line2: str | None = None
    delivery_postcode: str | None = None
    delivery_city: str | None = None
    delivery_country_code: str | None = None
    vat_situation: str | None = None
    vat_exemption: str | None = None
    vat_exemption_text: str | None = None
    payment_terms_days: int | None = Field(None, description="Vide : délai de l'entreprise. 60 jours au plus.")
    notes: str | None = None


class CustomerOut(Schema):
    id: int
    kind: str
    name: str
    siren: str
    siret: str
    vat_number: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    country_code: str
    delivery_address_line1: str
    delivery_address_line2: str
    delivery_postcode: str
    delivery_city: str
    delivery_country_code: str
    vat_situation: str
    vat_exemption: str
    vat_exemption_text: str
    payment_terms_days: int | None
    notes: str
    created_at: datetime.datetime


class CustomerPage(Schema):
    count: int
    page: int
    per_page: int
    items: list[CustomerOut]


class CustomerFilters(PageQuery):
    q: str | None = Field(None, max_length=100, description="Nom, SIREN ou SIRET, e-mail ou ville.")
    kind: Literal["company", "individual"] | None = None


def serialise(customer: Customer) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(customer, name) for name in [*TEXT_FIELDS, "payment_terms_days"]}
    data["id"] = customer.pk
    data["created_at"] = customer.created_at
    return data


@router.get("/", response=CustomerPage, summary="Lister les clients")
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]) -> dict[str, Any]:
    reject_nul(q=filters.q)
    search = CustomerSearchForm({"q": filters.q or "", "kind": filters.kind or ""})
    customers = _search(Customer.objects.filter(organisation=request.organisation), search)  # type: ignore[attr-defined]
    return paginate(customers.order_by("name", "id"), filters, serialise)


@router.get("/{customer_id}", response=CustomerOut, summary="Lire un client")
def get_customer(request: HttpRequest, customer_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    return serialise(scoped_or_404(request, Customer.objects.all(), customer_id))


def _bound_form(customer: Customer, payload: CustomerIn) -> CustomerForm:
    data = overlay(current_data(CustomerForm(instance=customer)), payload.model_dump(exclude_unset=True))
    return CustomerForm(data, instance=customer)


@router.post(
    "/", auth=write_auth, response={201: CustomerOut}, summary="Créer un client", operation_id="create_customer"
)
def create_customer(
    request: HttpRequest,
    payload: CustomerIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    def create() -> HttpResponse:
        organisation = request.organisation  # type: ignore[attr-defined]
        form = _bound_form(Customer(organisation=organisation), payload)
        if not form.is_valid():
            raise validation_problem(form_errors(form))
        with transaction.atomic():
            customer = form.save()
            record(organisation, "customer.created", customer, request=request)
        return json_response(serialise(customer), 201, location="/api/v1/customers/%s" % customer.pk)

    return run_once(request, idempotency_key, create)


@router.patch("/{customer_id}", auth=write_auth, response=CustomerOut, summary="Modifier un client")
def update_customer(
    request: HttpRequest, payload: CustomerIn, customer_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    customer = scoped_or_404(request, Customer.objects.all(), customer_id)
    form = _bound_form(customer, payload)
    if not form.is_valid():
        raise validation_problem(form_errors(form))
    if form.has_changed():
        with transaction.atomic():
            form.save()
            record(
                request.organisation,  # type: ignore[attr-defined]
                "customer.updated",
                customer,
                request=request,
                data={"changes": form_changes(form)},
            )
    return serialise(customer)
