from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.api.models import ApiToken, TokenScope
from ardoise.core.forms import DateField
from ardoise.invoicing.forms import DateInput


class TokenForm(forms.ModelForm):
    scope = forms.ChoiceField(
        label=_("Droits"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text=_(
            "« Lecture seule » suffit pour consulter ; « Lecture et écriture » permet aussi de créer et d'émettre."
        ),
    )
    expires_on = DateField(
        label=_("Date d'expiration"),
        required=False,
        widget=DateInput(),
        help_text=_("Facultatif : le jeton cesse de fonctionner après ce jour. Laissez vide pour aucune expiration."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scope", "expires_on"]
        help_texts = {
            "name": _("Pour vous y retrouver, par exemple « Boutique en ligne » ou « Logiciel du comptable ».")
        }

    def clean_expires_on(self) -> Any:
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on < timezone.localdate():
            raise forms.ValidationError(
                _("La date d'expiration %(date)s est passée : choisissez aujourd'hui ou une date à venir."),
                params={"date": expires_on.strftime("%d/%m/%Y")},
                code="past",
            )
        return expires_on
