"""Import a CII or UBL XML, or Factur-X PDF, invoice from the web UI, as a new draft."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ardoise.core.views import current_organisation
from ardoise.einvoice.parse import InvoiceFileError
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.importing import import_invoice_file

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier de la facture"),
        help_text=gettext_lazy("PDF Factur-X, XML CII (UN/CEFACT) ou XML UBL 2.1, 10 Mo au plus."),
        error_messages={
            "empty": gettext_lazy(
                "Le fichier envoyé est vide (0 octet) : choisissez la facture elle-même, un PDF Factur-X, "
                "un XML CII ou un XML UBL."
            ),
            "required": gettext_lazy("Choisissez un fichier : un PDF Factur-X, un XML CII ou un XML UBL."),
        },
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("Le fichier « %(name)s » pèse %(size)s Mo : la limite est de 10 Mo.")
                % {"name": upload.name, "size": round(upload.size / 1024 / 1024, 1)}
            )
        return upload


@require_http_methods(["GET", "POST"])
def invoice_import(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            invoice = import_invoice_file(upload.read(), upload.name, organisation=organisation, request=request)
        except (InvoiceFileError, InvoicingError) as error:
            form.add_error("file", error.message)
        else:
            for warning in invoice.import_warnings:
                messages.warning(request, warning)
            messages.success(
                request,
                _("Brouillon créé à partir de « %(name)s » : vérifiez-le, puis émettez-le.") % {"name": upload.name},
            )
            return redirect(invoice.get_absolute_url())
    return render(request, "invoicing/import.html", {"form": form})
