"""Payment screens: a payment is recorded from the invoice page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.core.formats import format_amount, format_date
from ardoise.core.views import get_scoped_or_404
from ardoise.invoicing.views import get_invoice_or_404, render_invoice_page
from ardoise.payments.forms import PaymentForm
from ardoise.payments.models import Payment
from ardoise.payments.services import PaymentError, record_payment, reverse_payment


@require_http_methods(["GET", "POST"])
def payment_record(request: HttpRequest, invoice_pk: int) -> HttpResponse:
    invoice = get_invoice_or_404(request, invoice_pk)
    if request.method == "GET":
        # After a refused payment the browser shows this URL; reloading it lands on the invoice.
        return redirect("%s#paiements" % invoice.get_absolute_url())
    if invoice.is_draft:
        messages.error(
            request, _("Un paiement ne peut être enregistré que sur une facture émise : émettez d'abord ce brouillon.")
        )
        return redirect(invoice)

    form = PaymentForm(request.POST, invoice=invoice)
    if form.is_valid():
        try:
            payment = record_payment(invoice, **form.cleaned_data, user=request.user, request=request)
        except PaymentError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _payment_message(payment))
            return redirect("%s#paiements" % invoice.get_absolute_url())
    return render_invoice_page(request, invoice, payment_form=form)


def _payment_message(payment: Payment) -> str:
    invoice, receipt = payment.invoice, payment.receipt
    amounts = {"amount": format_amount(payment.amount, invoice.currency), "number": invoice.number}
    if invoice.is_credit_note:
        return _("Remboursement de %(amount)s enregistré sur l'avoir %(number)s.") % amounts
    credit = receipt.amount - payment.amount
    if credit:
        return _(
            "%(received)s reçus : %(amount)s réglés sur la facture %(number)s et %(credit)s gardés en crédit "
            "pour le client. Vous pourrez l'appliquer à une prochaine facture ou le rembourser."
        ) % {
            **amounts,
            "received": format_amount(receipt.amount, invoice.currency),
            "credit": format_amount(credit, invoice.currency),
        }
    return _("Paiement de %(amount)s enregistré sur la facture %(number)s.") % amounts


@require_POST
def payment_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a payment with a reversal: recorded payments are never changed or deleted."""
    payment = get_scoped_or_404(request, Payment, pk=pk)
    try:
        reverse_payment(payment, user=request.user, request=request)
    except PaymentError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Le paiement de %(amount)s du %(date)s est annulé : une ligne d'annulation a été enregistrée.")
            % {"amount": format_amount(payment.amount, payment.invoice.currency), "date": format_date(payment.date)},
        )
    return redirect("%s#paiements" % payment.invoice.get_absolute_url())
