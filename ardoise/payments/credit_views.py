"""Customer credit screens: refund a customer's credit, apply it to an invoice.

The customer and the invoice come from ``get_scoped_or_404``, so another
organisation's customer or invoice returns 404.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.core.formats import format_amount
from ardoise.core.views import get_scoped_or_404
from ardoise.customers.models import Customer
from ardoise.invoicing.views import get_invoice_or_404
from ardoise.payments.forms import CreditRefundForm
from ardoise.payments.queries import customer_credits
from ardoise.payments.services import PaymentError, apply_credit, customer_credit, refund_credit

REFUND_FIELDS = {"amount", "date", "reference"}


@require_http_methods(["GET", "POST"])
def credit_refund(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Pay back part or all of the customer's credit in one currency (``?devise=``, the euro by default)."""
    customer = get_scoped_or_404(request, Customer, pk=customer_pk)
    credits = customer_credits(customer)
    raw = request.POST if request.method == "POST" else request.GET
    currency = raw.get("devise") or next(iter(credits), "EUR")
    credit = credits.get(currency)
    if credit is None or credit < 0:
        messages.info(
            request,
            _("Le client %(customer)s n'a pas de crédit en %(currency)s à rembourser.")
            % {"customer": customer.name, "currency": currency},
        )
        return redirect(customer)

    form = CreditRefundForm(request.POST if request.method == "POST" else None, currency=currency, credit=credit)
    if request.method == "POST" and form.is_valid():
        try:
            refund_credit(customer, **form.cleaned_data, currency=currency, user=request.user, request=request)
        except PaymentError as error:
            form.add_error(error.field if error.field in REFUND_FIELDS else None, error.message)
        else:
            messages.success(
                request,
                _("Remboursement de %(amount)s enregistré. Crédit restant de %(customer)s : %(credit)s.")
                % {
                    "amount": format_amount(form.cleaned_data["amount"], currency),
                    "customer": customer.name,
                    "credit": format_amount(customer_credit(customer, currency), currency),
                },
            )
            return redirect(customer)
    context = {"customer": customer, "form": form, "currency": currency, "credit": credit}
    return render(request, "payments/credit_refund.html", context)


@require_POST
def credit_apply(request: HttpRequest, invoice_pk: int) -> HttpResponse:
    """Settle the invoice with as much of the customer's credit as it needs."""
    invoice = get_invoice_or_404(request, invoice_pk)
    try:
        payments = apply_credit(invoice, user=request.user, request=request)
    except PaymentError as error:
        messages.error(request, error.message)
    else:
        applied = sum((payment.amount for payment in payments), Decimal("0.00"))
        messages.success(
            request,
            _("Crédit client de %(amount)s appliqué à la facture %(number)s. Reste à payer : %(balance)s.")
            % {
                "amount": format_amount(applied, invoice.currency),
                "number": invoice.number,
                "balance": format_amount(invoice.balance(), invoice.currency),
            },
        )
    return redirect("%s#paiements" % invoice.get_absolute_url())
