from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core.forms import DateField
from ardoise.invoicing.forms import DateInput
from ardoise.payments.models import PaymentMethod


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        """Clean each of the uploaded files; a form with a single file gives a list of one."""
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Factures reçues"),
        help_text=_("PDF Factur-X, XML CII ou XML UBL, 20 Mo au plus chacun. Vous pouvez en choisir plusieurs."),
    )


class PaymentForm(forms.Form):
    date = DateField(label=_("Payée le"), widget=DateInput())
    method = forms.ChoiceField(label=_("Moyen de paiement"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Référence"), max_length=140, required=False)
