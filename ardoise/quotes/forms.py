"""Forms of the quote screens. The lines reuse the invoice line form, so both editors behave the same."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.accounts.models import Organisation
from ardoise.core.forms import DateField
from ardoise.customers.models import Customer
from ardoise.invoicing.forms import BaseLineFormSet, DateInput, DecimalInput, FrenchDecimalField, LineForm
from ardoise.quotes.models import Quote, QuoteLine, QuoteSettings
from ardoise.quotes.services import series_choices

ZERO = Decimal("0")


class QuoteForm(forms.ModelForm):
    """The quote header: customer, kind, validity, conditions, notes and document discount."""

    discount_value = FrenchDecimalField(
        label=_("Remise globale"),
        max_digits=14,
        decimal_places=2,
        min_value=ZERO,
        initial=ZERO,
        required=False,
        widget=DecimalInput(min_places=2),
    )
    deposit_percent = FrenchDecimalField(
        label=_("Acompte demandé (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        required=False,
        widget=DecimalInput(min_places=0),
        help_text=_("Part du total TTC à facturer en acompte à l'acceptation. Laissez vide s'il n'y en a pas."),
    )

    class Meta:
        model = Quote
        fields = [
            "customer",
            "kind",
            "series",
            "validity_date",
            "conditions",
            "notes",
            "discount_kind",
            "discount_value",
            "discount_reason",
            "deposit_percent",
            "auto_deposit_on_acceptance",
        ]
        field_classes = {"validity_date": DateField}
        widgets = {
            "validity_date": DateInput(),
            "conditions": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"series": _("Séquence de numérotation")}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        customer = cast(forms.ModelChoiceField, self.fields["customer"])  # type: ignore[type-arg]
        customer.queryset = Customer.objects.filter(organisation=organisation).order_by("name")
        if self.instance.pk:
            # The series kind follows the document kind, so a saved draft keeps its kind.
            self.fields["kind"].disabled = True
        series = series_choices(organisation, self.instance.kind)
        if series.count() < 2:
            del self.fields["series"]
        else:
            field = cast(forms.ModelChoiceField, self.fields["series"])  # type: ignore[type-arg]
            field.queryset = series
            field.empty_label = _("La première séquence de ce type")

    def clean_discount_value(self) -> Decimal:
        return self.cleaned_data.get("discount_value") or ZERO

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("discount_kind") == "percent" and cleaned.get("discount_value", ZERO) > 100:
            self.add_error("discount_value", _("Une remise en pourcentage ne peut pas dépasser 100 %."))
        return cleaned


class QuoteLineForm(LineForm):
    """One quote line: the invoice line form on the ``QuoteLine`` model."""

    class Meta(LineForm.Meta):
        model = QuoteLine  # type: ignore[assignment]

    def imported_terms(self) -> None:
        # Quote lines are typed, never imported from an e-invoice, so they have no imported terms to show.
        return None


QuoteLineFormSet = forms.inlineformset_factory(
    Quote,
    QuoteLine,
    form=QuoteLineForm,
    formset=BaseLineFormSet,
    extra=0,
    can_delete=True,
    max_num=500,
    validate_max=True,
)


class AcceptForm(forms.Form):
    name = forms.CharField(
        label=_("Signé par"),
        max_length=200,
        required=False,
        help_text=_("Nom de la personne qui a signé « Bon pour accord »."),
    )
    date = DateField(label=_("Date de la signature"), widget=DateInput(), required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), max_length=300, required=False)


class QuoteSettingsForm(forms.ModelForm):
    class Meta:
        model = QuoteSettings
        fields = ["validity_days", "default_conditions"]
        widgets = {"default_conditions": forms.Textarea(attrs={"rows": 4})}
