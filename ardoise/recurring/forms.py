"""The plan's own settings; its lines and invoice options use the invoice editor's forms on the template draft."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core import forms as core_forms
from ardoise.invoicing.forms import DateInput
from ardoise.recurring.models import RecurringPlan


class PlanForm(forms.ModelForm):
    revision_percent = core_forms.FrenchDecimalField(
        label=_("Révision annuelle des prix (%)"),
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text=RecurringPlan._meta.get_field("revision_percent").help_text,
    )

    class Meta:
        model = RecurringPlan
        fields = [
            "name",
            "frequency",
            "interval",
            "start_date",
            "end_date",
            "occurrences_limit",
            "auto_issue",
            "auto_send",
            "revision_percent",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("start_date", "end_date"):
            field = self.fields[name]
            assert isinstance(field, forms.DateField)
            field.input_formats = ["%Y-%m-%d", "%d/%m/%Y"]

    def clean_revision_percent(self) -> Any:
        value = self.cleaned_data.get("revision_percent")
        if value is None:
            return RecurringPlan._meta.get_field("revision_percent").default
        if not -50 <= value <= 100:
            raise forms.ValidationError(
                _("La révision annuelle doit être comprise entre -50 et 100 %% (%(value)s saisi).") % {"value": value}
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date",
                _(
                    "La date de fin (%(end)s) précède la date de la première facture (%(start)s) : "
                    "corrigez l'une ou l'autre."
                )
                % {"end": end.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")},
            )
        if end and cleaned.get("occurrences_limit"):
            self.add_error(
                "occurrences_limit",
                _("Indiquez une date de fin ou un nombre de factures, pas les deux : videz l'un des deux champs."),
            )
        if cleaned.get("auto_send") and not cleaned.get("auto_issue"):
            self.add_error(
                "auto_send",
                _(
                    "Seule une facture émise peut être envoyée : cochez aussi « émettre automatiquement » "
                    "ou décochez l'envoi."
                ),
            )
        return cleaned
