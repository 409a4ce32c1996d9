from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from ardoise.core.forms import EMAIL_ERROR_MESSAGES
from ardoise.invoicing.models import Invoice
from ardoise.mailing.services import default_body, default_subject


class InvoiceEmailForm(forms.Form):
    to = forms.EmailField(label=_("Destinataire"), max_length=254, error_messages=EMAIL_ERROR_MESSAGES)
    cc = forms.CharField(
        label=_("Copie à"),
        required=False,
        max_length=500,
        help_text=_("Facultatif : une ou plusieurs adresses séparées par des virgules."),
    )
    subject = forms.CharField(label=_("Objet"), max_length=300)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 9}))

    @classmethod
    def for_invoice(cls, invoice: Invoice, *args: Any, **kwargs: Any) -> InvoiceEmailForm:
        """Return the form filled with the customer's e-mail and the default French message."""
        kwargs.setdefault(
            "initial",
            {
                "to": invoice.customer.email,
                "subject": default_subject(invoice),
                "body": default_body(invoice),
            },
        )
        return cls(*args, **kwargs)

    def clean_cc(self) -> list[str]:
        addresses = [item.strip() for item in self.cleaned_data["cc"].split(",") if item.strip()]
        invalid = []
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                invalid.append(address)
        if invalid:
            raise forms.ValidationError(
                _("Adresse e-mail invalide : %(addresses)s. Séparez les adresses par des virgules."),
                params={"addresses": ", ".join(invalid)},
            )
        return addresses
