from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.catalogue.models import Product
from ardoise.core.forms import FrenchDecimalField


class ProductForm(forms.ModelForm):
    unit_price = FrenchDecimalField(
        label=_("Prix unitaire HT (€)"),
        max_digits=14,
        decimal_places=4,
        min_value=0,
        help_text=_("Jusqu'à 4 décimales, avec une virgule ou un point : 12,5 ou 0,0125."),
        error_messages={"min_value": _("Le prix unitaire ne peut pas être négatif.")},
    )

    class Meta:
        model = Product
        fields = ["name", "kind", "description", "unit", "unit_price", "vat_rate"]
        widgets = {
            "kind": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "name": _("Le libellé imprimé sur la ligne de facture."),
            "description": _("Détail imprimé sous la désignation, en plus petit."),
            "unit": _("L'unité dans laquelle la quantité est exprimée sur la facture."),
        }

    def __init__(self, *args: Any, organisation: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisation is not None and organisation.is_franchise:
            self.fields["vat_rate"].help_text = _(
                "Votre entreprise est en franchise en base de TVA : aucune TVA n'est facturée, quel que soit ce taux."
            )


class ProductSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    inactive = forms.BooleanField(label=_("Articles désactivés"), required=False)
