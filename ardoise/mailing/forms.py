from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from ardoise.core.forms import EMAIL_ERROR_MESSAGES
from ardoise.customers.contacts import billing_recipients, clean_address_list, split_addresses
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from ardoise.mailing.templating import (
    Composed,
    TemplateKind,
    compose_invoice_email,
    render_composed,
    validate_template,
)


class InvoiceEmailForm(forms.Form):
    to = forms.CharField(
        label=_("Destinataires"),
        max_length=500,
        help_text=_("Une ou plusieurs adresses séparées par des virgules."),
    )
    cc = forms.CharField(
        label=_("Copie à"),
        required=False,
        max_length=500,
        help_text=_("Facultatif : une ou plusieurs adresses séparées par des virgules."),
    )
    bcc = forms.CharField(
        label=_("Copie cachée à"),
        required=False,
        max_length=500,
        help_text=_("Facultatif : ces adresses reçoivent le message sans que les autres destinataires les voient."),
    )
    subject = forms.CharField(label=_("Objet"), max_length=300)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 9}))

    @classmethod
    def for_invoice(cls, invoice: Invoice, *args: Any, **kwargs: Any) -> InvoiceEmailForm:
        """Return the form filled with the billing contacts, the customer's copies and the template's message."""
        composed = compose_invoice_email(invoice)
        kwargs.setdefault("initial", recipients_initial(invoice.customer) | composed_initial(composed))
        return cls(*args, **kwargs)

    def clean_to(self) -> list[str]:
        addresses = split_addresses(self.cleaned_data["to"])
        invalid = []
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                invalid.append(address)
        if invalid:
            raise forms.ValidationError(
                [EMAIL_ERROR_MESSAGES["invalid"] % {"value": address} for address in invalid], code="invalid"
            )
        if not addresses:
            raise forms.ValidationError(_("Indiquez l'adresse e-mail du destinataire."), code="required")
        return addresses

    def clean_cc(self) -> list[str]:
        return clean_address_list(self.cleaned_data["cc"])

    def clean_bcc(self) -> list[str]:
        return clean_address_list(self.cleaned_data["bcc"])


def recipients_initial(customer: Customer) -> dict[str, str]:
    """Return the send form's addresses for a customer: billing contacts, default copies and blind copies."""
    to, cc, bcc = billing_recipients(customer)
    return {"to": ", ".join(to), "cc": ", ".join(cc), "bcc": ", ".join(bcc)}


def composed_initial(composed: Composed) -> dict[str, str]:
    return {"subject": composed.subject, "body": composed.body}


# The value of the preview choice that selects the made-up example document.
SAMPLE = "exemple"


class EmailTemplateForm(forms.Form):
    """The three texts of an e-mail template, checked against the placeholders of its kind."""

    subject = forms.CharField(label=_("Objet"), max_length=300)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 12}))
    attachment_name = forms.CharField(
        label=_("Nom de la pièce jointe"),
        max_length=200,
        help_text=_("Nom du fichier PDF joint, avec les mêmes variables, par exemple Facture-{numero}.pdf."),
    )
    preview_on = forms.ChoiceField(label=_("Aperçu sur"), required=False)

    def __init__(self, *args: Any, kind: TemplateKind, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.organisation = organisation
        choices = [(SAMPLE, _("Un exemple (document fictif)")), *kind.documents(organisation)]
        cast(forms.ChoiceField, self.fields["preview_on"]).choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        texts = [cleaned.get(name) for name in ("subject", "body", "attachment_name")]
        if any(text is None for text in texts):
            return cleaned
        subject, body, attachment_name = (str(text) for text in texts)
        for name, error in validate_template(self.kind, subject, body, attachment_name).items():
            self.add_error(name, error)
        return cleaned

    def preview(self) -> Composed | None:
        """Render the texts on the chosen document, or return None when the form is invalid."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        values = None
        if data["preview_on"] and data["preview_on"] != SAMPLE:
            values = self.kind.document_values(self.organisation, data["preview_on"])
        if values is None:
            values = self.kind.sample_values(self.organisation)
        return render_composed(data["subject"], data["body"], data["attachment_name"], values)
