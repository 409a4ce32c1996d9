"""Receipt screens: the list of money received and refunded, one receipt, recording a receipt and cancelling one.

Every object comes from ``get_scoped_or_404`` or ``scoped``, so another
organisation's receipt, customer or invoice returns 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ardoise.core.formats import format_amount, format_date
from ardoise.core.forms import format_decimal_input, parse_french_decimal
from ardoise.core.views import get_scoped_or_404, scoped
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.payments.forms import ReceiptFilterForm, ReceiptForm
from ardoise.payments.models import Receipt
from ardoise.payments.queries import filter_receipts, receipt_totals, with_allocated
from ardoise.payments.services import (
    PaymentError,
    automatic_allocations,
    customer_credit,
    open_invoices,
    receive_payment,
    reverse_receipt,
)

PAGE_SIZE = 25
FILTER_NAMES = ("start", "end", "client", "moyen", "q")
# The form fields a PaymentError can name; "allocations" and None become errors of the whole form.
RECEIPT_FIELDS = {"amount", "date", "bank_fees", "reference"}


# List and detail


@require_GET
def receipt_list(request: HttpRequest) -> HttpResponse:
    customers = scoped(request, Customer).order_by("name", "id")
    form = ReceiptFilterForm(request.GET or None, customers=customers)
    context: dict[str, Any] = {
        "form": form,
        "filtered": any(request.GET.get(name) for name in FILTER_NAMES),
        "has_any_receipt": scoped(request, Receipt).exists(),
        "page": None,
        "totals": [],
    }
    if form.is_bound and not form.is_valid():
        # Listing every receipt under filters that were not applied would read as their result.
        return render(request, "payments/receipt_list.html", context)

    receipts = with_allocated(scoped(request, Receipt).select_related("customer", "reversal", "reverses"))
    if form.is_bound:
        data = form.cleaned_data
        receipts = filter_receipts(
            receipts,
            start=data["start"],
            end=data["end"],
            customer=data["client"],
            method=data["moyen"],
            text=data["q"],
        )
    receipts = receipts.order_by("-date", "-id")
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        page=Paginator(receipts, PAGE_SIZE).get_page(request.GET.get("page")),
        totals=receipt_totals(receipts),
        filter_query=query.urlencode(),
    )
    return render(request, "payments/receipt_list.html", context)


@require_GET
def receipt_detail(request: HttpRequest, receipt_pk: int) -> HttpResponse:
    receipt = _get_receipt_or_404(request, receipt_pk)
    payments = list(receipt.payments.select_related("invoice", "reversal", "reverses").order_by("date", "id"))
    context = {
        "receipt": receipt,
        "payments": payments,
        "allocated": receipt.allocated(),
        "unallocated": receipt.unallocated(),
        "net_amount": receipt.amount - receipt.bank_fees,
        "customer_credit": customer_credit(receipt.customer, receipt.currency),
        "can_cancel": not receipt.is_reversal and not receipt.is_reversed,
    }
    return render(request, "payments/receipt_detail.html", context)


def _get_receipt_or_404(request: HttpRequest, pk: int) -> Receipt:
    receipt = get_scoped_or_404(request, Receipt, pk=pk)
    # Fetched again with its relations: the scoped lookup cannot take select_related.
    return Receipt.objects.select_related("customer", "created_by", "reverses", "reversal").get(pk=receipt.pk)


# Cancelling


@require_http_methods(["GET", "POST"])
def receipt_cancel(request: HttpRequest, receipt_pk: int) -> HttpResponse:
    """Ask for confirmation (GET), then reverse the receipt and its payments (POST): recorded rows never change."""
    receipt = _get_receipt_or_404(request, receipt_pk)
    if request.method == "GET" and (receipt.is_reversal or receipt.is_reversed):
        messages.info(request, _("Cet encaissement ne peut plus être annulé : il est déjà annulé ou annule un autre."))
        return redirect(receipt)

    error = None
    if request.method == "POST":
        try:
            reverse_receipt(receipt, user=request.user, request=request)
        except PaymentError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                _(
                    "L'encaissement de %(amount)s du %(date)s est annulé : une ligne d'annulation compense "
                    "l'encaissement et chacun de ses paiements."
                )
                % {"amount": format_amount(receipt.amount, receipt.currency), "date": format_date(receipt.date)},
            )
            return redirect(receipt)

    live = receipt.payments.filter(reverses__isnull=True, reversal__isnull=True).select_related("invoice")
    context = {"receipt": receipt, "payments": live.order_by("date", "id"), "error": error}
    return render(request, "payments/receipt_cancel.html", context)


# Recording


@dataclass
class ReceiptPage:
    """The subject of the receipt form: the customer and currency chosen, and the invoices it shows."""

    customers: QuerySet[Customer]
    currencies: list[str]
    customer: Customer | None
    currency: str
    invoices: list[Invoice]

    @property
    def shown_for(self) -> str:
        """Name the invoices shown, as the form's hidden ``shown_for`` field records it."""
        return "%s:%s" % (self.customer.pk, self.currency) if self.customer is not None else ""

    def form(self, data: QueryDict | None = None, initial: dict[str, Any] | None = None) -> ReceiptForm:
        return ReceiptForm(
            data,
            initial=initial,
            customers=self.customers,
            invoices=self.invoices,
            currencies=self.currencies,
        )


@require_http_methods(["GET", "POST"])
def receipt_create(request: HttpRequest) -> HttpResponse:
    """Record money received from a customer, split over the customer's open invoices.

    The page works without JavaScript in two steps: « Répartir automatiquement »
    fills the invoices of the chosen customer oldest due first, then
    « Enregistrer » saves what the page shows. With htmx, the same view refills
    the invoices as the customer or the amount change, and updates the part
    kept as credit as the allocations change.
    """
    raw = request.POST if request.method == "POST" else request.GET
    currencies = _currencies(request)
    currency = str(raw.get("currency", "EUR"))
    page = ReceiptPage(
        customers=scoped(request, Customer).order_by("name", "id"),
        currencies=currencies,
        customer=_chosen_customer(request, str(raw.get("customer") or raw.get("client", ""))),
        currency=currency if currency in currencies else "EUR",
        invoices=[],
    )
    rows_shown = request.method == "POST" and request.POST.get("shown_for") == page.shown_for
    page.invoices = _invoices(request, page, with_posted=rows_shown)

    if request.method == "GET":
        return _render_form(request, page.form(initial=_initial(page)), page)

    action = request.POST.get("action", "save")
    if action == "save" and not rows_shown:
        # The invoices on the page belong to no customer or to another one: show this customer's first.
        action = "distribute"
        if page.customer is not None:
            messages.info(request, _("Vérifiez la répartition proposée pour ce client, puis enregistrez."))
    form = page.form(request.POST)
    if action == "distribute":
        form = page.form(_distributed(form, page))
    elif action == "save" and form.is_valid():
        receipt = _save(request, form)
        if receipt is not None:
            return redirect(receipt)
    return _render_form(request, form, page, partial=action if request.htmx else "")  # type: ignore[attr-defined]


def _currencies(request: HttpRequest) -> list[str]:
    """Return the euro and every other currency the organisation has issued invoices in."""
    used = scoped(request, Invoice).exclude(status=InvoiceStatus.DRAFT).values_list("currency", flat=True)
    return ["EUR", *sorted(set(used.distinct()) - {"EUR"})]


def _chosen_customer(request: HttpRequest, raw: str) -> Customer | None:
    """Return the customer named by ``raw``; another organisation's customer is a 404, a non-number is no choice."""
    if not raw.isdigit():
        return None
    return get_scoped_or_404(request, Customer, pk=int(raw))


def _invoices(request: HttpRequest, page: ReceiptPage, *, with_posted: bool) -> list[Invoice]:
    """Return the customer's open invoices, plus, ``with_posted``, any invoice the posted form allocates money to.

    An invoice paid by someone else since the page was shown is no longer
    open. It stays in the form so that its allocation is refused with a
    message, instead of silently becoming credit.
    """
    if page.customer is None:
        return []
    invoices = list(open_invoices(page.customer, page.currency))
    if not with_posted:
        return invoices
    known = {invoice.pk for invoice in invoices}
    for name, value in request.POST.items():
        pk = name.removeprefix("invoice_")
        if name.startswith("invoice_") and pk.isdigit() and int(pk) not in known and not _is_zero(str(value)):
            invoices.append(get_scoped_or_404(request, Invoice, pk=int(pk)))
            known.add(int(pk))
    return invoices


def _is_zero(value: str) -> bool:
    try:
        return not value.strip() or parse_french_decimal(value) == 0
    except InvalidOperation:
        return False


def _initial(page: ReceiptPage) -> dict[str, Any]:
    """Propose that the customer paid every open invoice in full."""
    initial: dict[str, Any] = {
        "customer": page.customer.pk if page.customer is not None else None,
        "currency": page.currency,
        "date": timezone.localdate(),
        "shown_for": page.shown_for,
    }
    if page.invoices:
        initial["amount"] = sum((invoice.balance() for invoice in page.invoices), Decimal("0.00"))
        for invoice in page.invoices:
            initial[ReceiptForm.field_name(invoice)] = invoice.balance()
    return initial


def _distributed(form: ReceiptForm, page: ReceiptPage) -> QueryDict:
    """Return the posted data with the invoices filled oldest due first from the amount received."""
    form.is_valid()
    data = form.data.copy()  # type: ignore[attr-defined]
    data["shown_for"] = page.shown_for
    amount = form.cleaned_data.get("amount")
    date = form.cleaned_data.get("date") or timezone.localdate()
    shares = {}
    if page.customer is not None and amount is not None:
        allocations = automatic_allocations(page.customer, amount, date, page.currency)
        shares = {invoice.pk: share for invoice, share in allocations}
    for invoice in form.invoices:
        data[form.field_name(invoice)] = format_decimal_input(shares.get(invoice.pk, Decimal("0.00")))
    result: QueryDict = data
    return result


def _save(request: HttpRequest, form: ReceiptForm) -> Receipt | None:
    """Record the receipt, or put the service's refusal on the form and return None."""
    data = form.cleaned_data
    try:
        receipt = receive_payment(
            data["customer"],
            data["amount"],
            data["date"],
            data["method"],
            data["reference"],
            currency=data["currency"],
            bank_fees=data["bank_fees"],
            allocations=form.allocations(),
            user=request.user,
            request=request,
        )
    except PaymentError as error:
        form.add_error(error.field if error.field in RECEIPT_FIELDS else None, error.message)
        return None
    messages.success(request, receipt_message(receipt))
    return receipt


def receipt_message(receipt: Receipt) -> str:
    """Say what a new receipt settled and what it left as credit, e.g. for the success message."""
    currency = receipt.currency
    text = _("Encaissement de %(amount)s de %(customer)s enregistré.") % {
        "amount": format_amount(receipt.amount, currency),
        "customer": receipt.customer.name,
    }
    numbers = [payment.invoice.number for payment in receipt.payments.select_related("invoice").order_by("id")]
    if numbers:
        text += " " + _("%(allocated)s réglés sur : %(numbers)s.") % {
            "allocated": format_amount(receipt.allocated(), currency),
            "numbers": ", ".join(numbers),
        }
    credit = receipt.unallocated()
    if credit:
        text += " " + _(
            "%(credit)s gardés en crédit pour le client : vous pourrez l'appliquer à une prochaine facture "
            "ou le rembourser."
        ) % {"credit": format_amount(credit, currency)}
    return text


def _render_form(request: HttpRequest, form: ReceiptForm, page: ReceiptPage, partial: str = "") -> HttpResponse:
    template = "payments/receipt_form.html"
    if partial == "distribute":
        template += "#allocations"
    elif partial == "preview":
        template += "#summary"
    return render(request, template, {"form": form, "customer": page.customer})
