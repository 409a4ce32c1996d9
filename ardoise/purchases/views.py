"""Supplier invoices: receive files, list what is to pay, show one invoice, mark it paid."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.core.views import get_scoped_or_404, scoped
from ardoise.purchases.forms import PaymentForm, UploadForm
from ardoise.purchases.models import SupplierInvoice
from ardoise.purchases.services import ReceiveError, mark_paid, mark_unpaid, receive

CONTENT_TYPES = {"facturx": "application/pdf", "cii": "application/xml", "ubl": "application/xml"}


@require_http_methods(["GET", "POST"])
def invoice_list(request: HttpRequest) -> HttpResponse:
    invoices = scoped(request, SupplierInvoice).defer("content")
    to_pay = request.GET.get("a_payer") == "1"
    if to_pay:
        invoices = invoices.filter(paid_on__isnull=True)
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            received, rejected = 0, []
            for upload in form.cleaned_data["files"]:
                try:
                    receive(request.organisation, upload.read(), upload.name, user=request.user, request=request)
                    received += 1
                except ReceiveError as error:
                    rejected.append(error.message)
            if received:
                messages.success(request, _("%(count)s facture(s) reçue(s).") % {"count": received})
            for message in rejected:
                messages.error(request, message)
            return redirect("purchases:list")
        status = 400
    context = {"invoices": invoices[:500], "form": form, "to_pay": to_pay}
    return render(request, "purchases/list.html", context, status=status)


@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_scoped_or_404(request, SupplierInvoice, pk=pk)
    return render(request, "purchases/detail.html", {"invoice": invoice, "form": PaymentForm()})


@require_GET
def invoice_file(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_scoped_or_404(request, SupplierInvoice, pk=pk)
    response = HttpResponse(
        bytes(invoice.content), content_type=CONTENT_TYPES.get(invoice.file_format, "application/octet-stream")
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=invoice.filename)
    return response


@require_POST
def invoice_pay(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_scoped_or_404(request, SupplierInvoice, pk=pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return render(request, "purchases/detail.html", {"invoice": invoice, "form": form}, status=400)
    data = form.cleaned_data
    mark_paid(invoice, data["date"], data["method"], data["reference"], user=request.user, request=request)
    messages.success(request, _("Facture %(number)s marquée payée.") % {"number": invoice.number})
    return redirect("purchases:detail", pk=invoice.pk)


@require_POST
def invoice_unpay(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_scoped_or_404(request, SupplierInvoice, pk=pk)
    mark_unpaid(invoice, user=request.user, request=request)
    messages.info(
        request, _("Paiement annulé : la facture %(number)s est de nouveau à payer.") % {"number": invoice.number}
    )
    return redirect("purchases:detail", pk=invoice.pk)
