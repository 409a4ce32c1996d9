"""The catalogue of products and services that invoice lines are copied from."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.audit.services import form_changes, record
from ardoise.catalogue.forms import ProductForm, ProductSearchForm
from ardoise.catalogue.models import Product
from ardoise.core.formats import format_rate, format_unit_price
from ardoise.core.forms import plain_decimal
from ardoise.core.units import unit_label
from ardoise.core.views import current_organisation, get_scoped_or_404, scoped

PAGE_SIZE = 50
PICK_LIMIT = 20


@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    search = ProductSearchForm(request.GET)
    products = _search(scoped(request, Product), search)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "search": search,
        "page": page,
        "rows": [_product_row(product) for product in page.object_list],
        "showing_inactive": search.is_valid() and search.cleaned_data["inactive"],
        "query_string": _query_without_page(request),
    }
    # A live search from htmx only needs the table, not the whole page.
    template = "catalogue/product_list.html#results" if request.htmx else "catalogue/product_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    form = ProductForm(
        request.POST if request.method == "POST" else None,
        instance=Product(organisation=organisation),
        organisation=organisation,
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            product = form.save()
            record(organisation, "product.created", product, request=request)
        messages.success(request, _("L'article « %(name)s » a été ajouté au catalogue.") % {"name": product.name})
        return redirect("catalogue:list")
    return render(request, "catalogue/product_form.html", {"form": form, "product": None})


@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = current_organisation(request)
    product = get_scoped_or_404(request, Product, pk=pk)
    form = ProductForm(request.POST if request.method == "POST" else None, instance=product, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        if form.has_changed():
            with transaction.atomic():
                form.save()
                record(organisation, "product.updated", product, request=request, data={"changes": form_changes(form)})
            messages.success(request, _("L'article « %(name)s » a été enregistré.") % {"name": product.name})
        else:
            messages.info(request, _("Aucune modification à enregistrer."))
        return redirect("catalogue:list")
    # On an invalid submission the instance carries the rejected values: show the stored one.
    stored = get_scoped_or_404(request, Product, pk=pk)
    return render(request, "catalogue/product_form.html", {"form": form, "product": stored})


@require_POST
def product_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    product = _set_active(request, pk, active=False)
    messages.success(
        request,
        _(
            "L'article « %(name)s » a été désactivé : il n'est plus proposé dans les factures. "
            "Les factures qui l'utilisent déjà ne changent pas."
        )
        % {"name": product.name},
    )
    return redirect("catalogue:list")


@require_POST
def product_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    product = _set_active(request, pk, active=True)
    messages.success(
        request, _("L'article « %(name)s » est de nouveau proposé dans les factures.") % {"name": product.name}
    )
    return redirect("catalogue:list")


@require_GET
def product_pick(request: HttpRequest) -> JsonResponse:
    """Return the active products matching ``?q=`` as JSON, for the invoice line editor.

    Prices and rates are strings with a dot as decimal separator, so that no
    digit is lost to a binary float.
    """
    products = scoped(request, Product).filter(is_active=True)
    text = request.GET.get("q", "").strip()
    if text:
        products = products.filter(Q(name__icontains=text) | Q(description__icontains=text))
    return JsonResponse([_pick_item(product) for product in products[:PICK_LIMIT]], safe=False)


def _set_active(request: HttpRequest, pk: int, *, active: bool) -> Product:
    product = get_scoped_or_404(request, Product, pk=pk)
    if product.is_active == active:
        return product
    with transaction.atomic():
        product.is_active = active
        product.save(update_fields=["is_active"])
        action = "product.reactivated" if active else "product.deactivated"
        record(current_organisation(request), action, product, request=request)
    return product


def _search(products: QuerySet[Product], search: ProductSearchForm) -> QuerySet[Product]:
    if not search.is_valid():
        return products.filter(is_active=True)
    products = products.filter(is_active=not search.cleaned_data["inactive"])
    text = search.cleaned_data["q"].strip()
    if text:
        products = products.filter(Q(name__icontains=text) | Q(description__icontains=text))
    return products


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _product_row(product: Product) -> dict[str, Any]:
    return {
        "product": product,
        "unit": unit_label(product.unit),
        "price": format_unit_price(product.unit_price),
        "vat_rate": format_rate(product.vat_rate),
    }


def _pick_item(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "name": product.name,
        "description": product.description,
        "unit": product.unit,
        "unit_price": plain_decimal(product.unit_price),
        "vat_rate": plain_decimal(product.vat_rate),
        "kind": product.kind,
    }
