"""Editor requests that keep the lines' VAT in step with the customer's situation and each line's nature.

The editor calls them through htmx when the user picks a customer or
changes a line's « Nature ». A line still at the default VAT of the
previous customer or nature follows. A line whose VAT the user chose keeps
it, and the « TVA applicable » box lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ardoise.accounts.models import Organisation
from ardoise.catalogue.models import ProductKind
from ardoise.core.forms import parse_french_decimal
from ardoise.core.vat import LineVat
from ardoise.core.views import current_organisation
from ardoise.customers.models import Customer
from ardoise.invoicing.forms import LINES_PREFIX, LineForm
from ardoise.invoicing.vat_situations import (
    editor_vat,
    followed_line_vat,
    line_vat_default,
    situation_notes,
    vat_label,
)

# Enough for the editor's 500 lines, whose prefixes are « lines-0 » to « lines-499 ».
MAX_LINES = 500


@dataclass(frozen=True)
class PostedLine:
    """The VAT fields of one line as the editor posts them."""

    prefix: str
    position: int
    name: str
    is_service: bool
    vat: LineVat
    amount: Decimal  # quantity x unit price, 0 while either is unreadable


@dataclass(frozen=True)
class LineVatChange:
    """A line moved to the new default VAT (``form`` to swap in), or one kept as the user set it (no form)."""

    note: str
    form: LineForm | None = None


@require_http_methods(["GET", "POST"])
def vat_situation(request: HttpRequest) -> HttpResponse:
    """Explain the VAT of the chosen customer, and move the lines the user has not set to that VAT.

    The page posts its lines and ``vat_customer``, the customer whose VAT the
    lines were given. A request without lines only reloads the explanation.
    """
    organisation = current_organisation(request)
    data = request.POST if request.method == "POST" else request.GET
    customer = _chosen_customer(data.get("customer", ""), organisation)
    changes: list[LineVatChange] = []
    if "%s-TOTAL_FORMS" % LINES_PREFIX in data and not organisation.is_franchise:
        previous = _chosen_customer(data.get("vat_customer", ""), organisation)
        changes = [
            change
            for line in posted_lines(data)
            if (change := _customer_change(line, organisation, previous, customer))
        ]
    context = {
        "organisation": organisation,
        "vat_notes": situation_notes(organisation, customer),
        "line_notes": [change.note for change in changes],
        "line_forms": [change.form for change in changes if change.form is not None],
        "vat_customer": customer.pk if customer else "",
    }
    response = render(request, "invoicing/partials/vat_situation_response.html", context)
    if context["line_forms"]:
        response["HX-Trigger-After-Settle"] = "lines-changed"
    return response


@require_GET
def line_kind(request: HttpRequest) -> HttpResponse:
    """Return the VAT fields of a line whose nature changed, when its VAT was the default of the other nature."""
    organisation = current_organisation(request)
    if organisation.is_franchise:
        # Franchise en base: every line is at 0 % with the art. 293 B wording, whatever its nature.
        return HttpResponse(status=204)
    prefix = request.GET.get("prefix", "")
    lines = [line for line in posted_lines(request.GET) if line.prefix == prefix]
    if not lines:
        return HttpResponseBadRequest(_("Ligne de facture inconnue."))
    line = lines[0]
    customer = _chosen_customer(request.GET.get("customer", ""), organisation)
    followed = followed_line_vat(
        line.vat,
        line_vat_default(organisation, customer, is_service=not line.is_service),
        line_vat_default(organisation, customer, is_service=line.is_service),
    )
    forms = [] if followed is None else [_vat_form(line, followed, organisation)]
    response = render(
        request, "invoicing/partials/line_vat_fields.html", {"line_forms": forms, "organisation": organisation}
    )
    if forms:
        response["HX-Trigger-After-Settle"] = "lines-changed"
    return response


def _chosen_customer(raw: str, organisation: Organisation) -> Customer | None:
    if not raw.isdigit():
        return None
    return Customer.objects.filter(organisation=organisation, pk=int(raw)).first()


def posted_lines(data: Any) -> list[PostedLine]:
    """Read the VAT and amount of the editor's kept lines; a line with an unreadable rate is left out."""
    lines = []
    for index in range(MAX_LINES):
        prefix = "%s-%d" % (LINES_PREFIX, index)
        if "%s-vat_rate" % prefix not in data:
            continue
        if data.get("%s-DELETE" % prefix):
            continue
        try:
            rate = Decimal(data.get("%s-vat_rate" % prefix, ""))
        except InvalidOperation:
            continue
        lines.append(
            PostedLine(
                prefix=prefix,
                position=index + 1,
                name=data.get("%s-name" % prefix, "").strip(),
                is_service=data.get("%s-kind" % prefix, ProductKind.SERVICE) != ProductKind.GOODS,
                vat=LineVat(rate, data.get("%s-exemption" % prefix, "")),
                amount=_typed_amount(data, prefix),
            )
        )
    return lines


def _typed_amount(data: Any, prefix: str) -> Decimal:
    try:
        quantity = parse_french_decimal(data.get("%s-quantity" % prefix, ""))
        price = parse_french_decimal(data.get("%s-unit_price" % prefix, ""))
    except InvalidOperation:
        return Decimal(0)
    return abs(quantity * price)


def _customer_change(
    line: PostedLine, organisation: Organisation, previous: Customer | None, customer: Customer | None
) -> LineVatChange | None:
    before = line_vat_default(organisation, previous, is_service=line.is_service)
    after = line_vat_default(organisation, customer, is_service=line.is_service)
    followed = followed_line_vat(line.vat, before, after)
    if followed is not None:
        note = _("%(line)s : TVA passée de %(before)s à %(after)s, selon la situation du client.") % {
            "line": _line_name(line),
            "before": vat_label(line.vat),
            "after": vat_label(followed),
        }
        return LineVatChange(note, _vat_form(line, followed, organisation))
    if customer is None or editor_vat(line.vat) == editor_vat(after):
        return None
    return LineVatChange(
        _(
            "%(line)s : TVA choisie à la main (%(vat)s) conservée. Vérifiez qu'elle convient à ce client, "
            "qui relève par défaut de %(default)s."
        )
        % {"line": _line_name(line), "vat": vat_label(line.vat), "default": vat_label(after)}
    )


def _line_name(line: PostedLine) -> str:
    if line.name:
        return _("Ligne %(position)s (%(name)s)") % {"position": line.position, "name": line.name}
    return _("Ligne %(position)s") % {"position": line.position}


def _vat_form(line: PostedLine, vat: LineVat, organisation: Organisation) -> LineForm:
    """Build the form whose VAT fields replace the line's in the page."""
    initial = {"vat_rate": str(vat.rate), "exemption": vat.exemption}
    return LineForm(prefix=line.prefix, initial=initial, organisation=organisation)
