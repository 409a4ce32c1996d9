"""Forms of the accounting page: the FEC export, the FEC check, and the chart of accounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils.translation import gettext_lazy as _

from ardoise.accounting.layouts import GENERIC, LAYOUT_CHOICES
from ardoise.accounting.models import AccountingSettings, CustomerAccount, ProductAccount, VatRateAccounts
from ardoise.catalogue.models import Product
from ardoise.core.formats import format_rate
from ardoise.core.forms import DateField
from ardoise.core.vat import LINE_VAT_RATE_CHOICES
from ardoise.customers.models import Customer
from ardoise.invoicing.forms import DateInput

# A FEC of a small business is a few megabytes; this bounds what the check reads into memory.
MAX_CHECK_BYTES = 50 * 1024 * 1024
ENCODING_CHOICES = [("iso-8859-15", _("ISO 8859-15 (Latin-9), accepté partout")), ("utf-8", _("UTF-8"))]


class ExportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Exercice clos en"), coerce=int)
    encoding = forms.ChoiceField(label=_("Encodage"), choices=ENCODING_CHOICES, initial="iso-8859-15")

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["year"].error_messages["invalid_choice"] = _(
            "Exercice %(value)s inconnu : choisissez une année de la liste."
        )


class JournalForm(forms.Form):
    start = DateField(label=_("Du"), widget=DateInput())
    end = DateField(label=_("Au"), widget=DateInput())
    layout = forms.ChoiceField(
        label=_("Présentation"),
        choices=LAYOUT_CHOICES,
        initial=GENERIC,
        required=False,
        help_text=_("Le fichier ASCII de Cegid Quadra s'importe tel quel dans Quadra Comptabilité."),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (tableur)")), ("xlsx", _("XLSX (Excel)"))],
        required=False,
        help_text=_("Pour la présentation « Colonnes Ardoise » ; CSV si rien n'est choisi."),
    )

    def clean_layout(self) -> str:
        return self.cleaned_data["layout"] or GENERIC

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("La date de fin est avant la date de début : inversez-les."))
        return cleaned


class CheckForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier FEC à contrôler"),
        help_text=_("Un fichier texte séparé par des tabulations ou des barres verticales, 50 Mo au plus."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CHECK_BYTES:
            raise ValidationError(
                _("Le fichier « %(name)s » fait %(size)s Mo : le contrôle accepte 50 Mo au plus."),
                params={"name": upload.name, "size": upload.size // (1024 * 1024)},
            )
        return upload


class SettingsForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("sales_journal") and cleaned.get("sales_journal") == cleaned.get("bank_journal"):
            self.add_error(
                "bank_journal",
                _("Le journal de banque doit avoir un autre code que celui des ventes (%(code)s).")
                % {"code": cleaned["sales_journal"]},
            )
        return cleaned

    class Meta:
        model = AccountingSettings
        fields = [
            "fiscal_year_end_month",
            "sales_journal",
            "sales_journal_label",
            "bank_journal",
            "bank_journal_label",
            "customer_account",
            "service_revenue_account",
            "goods_revenue_account",
            "vat_account",
            "bank_account",
            "bank_fees_account",
            "rounding_gain_account",
            "rounding_loss_account",
        ]


class VatRateForm(forms.ModelForm):
    rate = forms.TypedChoiceField(label=_("Taux de TVA"), choices=LINE_VAT_RATE_CHOICES, coerce=Decimal)

    class Meta:
        model = VatRateAccounts
        fields = ["rate", "service_revenue_account", "goods_revenue_account", "vat_account"]


class OrganisationFormSet(BaseModelFormSet):
    """A formset of one organisation's rows, whose choices are limited to that organisation."""

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        if "product" in form.fields:
            form.fields["product"].queryset = Product.objects.filter(organisation=self.organisation).order_by("name")
        if "customer" in form.fields:
            form.fields["customer"].queryset = Customer.objects.filter(organisation=self.organisation).order_by("name")
        return form

    @property
    def empty_form(self) -> forms.Form:
        return self._construct_form(self.total_form_count() + 1, empty_permitted=True, use_required_attribute=False)

    def clean(self) -> None:
        """Refuse two rows for the same rate, product or customer, and an auxiliary code given twice."""
        super().clean()
        if any(self.errors):
            return
        remaining = [
            form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        for field in ("rate", "product", "customer", "code"):
            values = [data[field] for data in remaining if field in data]
            repeated = next((value for value in values if values.count(value) > 1), None)
            if repeated is not None:
                shown = format_rate(repeated) if isinstance(repeated, Decimal) else repeated
                raise ValidationError(
                    _("« %(value)s » figure sur deux lignes : gardez-en une seule.") % {"value": shown}
                )


VatRateFormSet = modelformset_factory(
    VatRateAccounts, form=VatRateForm, formset=OrganisationFormSet, extra=1, can_delete=True
)
ProductAccountFormSet = modelformset_factory(
    ProductAccount,
    fields=["product", "revenue_account"],
    labels={"product": _("Article")},
    formset=OrganisationFormSet,
    extra=1,
    can_delete=True,
)
CustomerAccountFormSet = modelformset_factory(
    CustomerAccount,
    fields=["customer", "code"],
    labels={"customer": _("Client")},
    formset=OrganisationFormSet,
    extra=1,
    can_delete=True,
)
