from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ardoise.core import forms as core_forms
from ardoise.mailing import placeholders
from ardoise.reminders.models import EcbRate, LegalInterestRate, ReminderLevel, ReminderPlan
from ardoise.reminders.services import REMINDER_PLACEHOLDERS

# The values shown in the preview of a level, as a 15-day reminder of a 1 200 € invoice would print them.
SAMPLE_VALUES = {
    placeholders.CUSTOMER.name: "Boulangerie Martin SAS",
    placeholders.ORGANISATION.name: "Atelier Dupont SARL",
    placeholders.NUMBER.name: "F-2026-0042",
    placeholders.DATE.name: "04/12/2026",
    placeholders.AMOUNT.name: "1\u202f200,00\u00a0€",
    placeholders.BALANCE.name: "1\u202f200,00\u00a0€",
    placeholders.DUE_DATE.name: "03/01/2027",
    placeholders.DAYS_LATE.name: "15",
    placeholders.PENALTIES.name: "5,99\u00a0€",
    placeholders.INDEMNITY.name: "40,00\u00a0€",
}


class PlanForm(forms.ModelForm):
    class Meta:
        model = ReminderPlan
        fields = ["enabled", "skip_non_working_days"]


class LevelForm(forms.ModelForm):
    class Meta:
        model = ReminderLevel
        fields = ["offset_days", "channel", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def clean_subject(self) -> str:
        return self._checked("subject")

    def clean_body(self) -> str:
        return self._checked("body")

    def _checked(self, name: str) -> str:
        text: str = self.cleaned_data.get(name) or ""
        placeholders.validate(text, REMINDER_PLACEHOLDERS)
        return text

    def preview(self) -> tuple[str, str] | None:
        """Return the subject and body filled with example values, once the form is valid."""
        if not self.is_valid() or not self.cleaned_data.get("subject"):
            return None
        return (
            placeholders.render(self.cleaned_data["subject"], SAMPLE_VALUES),
            placeholders.render(self.cleaned_data["body"], SAMPLE_VALUES),
        )


class BaseLevelFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        offsets: list[int] = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            offset = form.cleaned_data.get("offset_days")
            if offset in offsets:
                raise ValidationError(
                    _("Deux niveaux tombent le même jour (%(days)s jours) : donnez-leur des jours différents.")
                    % {"days": offset}
                )
            if offset is not None:
                offsets.append(offset)
        if not offsets:
            raise ValidationError(_("Gardez au moins un niveau de relance, ou décochez « relances automatiques »."))


LevelFormSet = forms.inlineformset_factory(
    ReminderPlan, ReminderLevel, form=LevelForm, formset=BaseLevelFormSet, extra=1, can_delete=True
)


class EcbRateForm(forms.ModelForm):
    rate = core_forms.FrenchDecimalField(label=_("Taux de refinancement (%)"), max_digits=6, decimal_places=3)

    class Meta:
        model = EcbRate
        fields = ["effective_from", "rate", "source"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class LegalRateForm(forms.ModelForm):
    individual_rate = core_forms.FrenchDecimalField(
        label=_("Créanciers particuliers (%)"), max_digits=5, decimal_places=2
    )
    professional_rate = core_forms.FrenchDecimalField(
        label=_("Autres cas, dont les professionnels (%)"), max_digits=5, decimal_places=2
    )

    class Meta:
        model = LegalInterestRate
        fields = ["semester_start", "individual_rate", "professional_rate", "source"]
        widgets = {"semester_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("Motif du litige"), max_length=300, required=False)


def level_previews(formset: Any) -> list[tuple[Any, tuple[str, str] | None]]:
    return [(form, form.preview() if formset.is_bound else None) for form in formset.forms]
