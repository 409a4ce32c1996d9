"""The plan's own settings; its lines and invoice options use the invoice editor's forms on the template draft."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core import forms as core_forms
from ardoise.core.forms import DateField
from ardoise.invoicing.forms import DateInput
from ardoise.recurring import indexation
from ardoise.recurring.models import PriceIndex, RecurringPlan, RevisionKind


class PlanForm(forms.ModelForm):
    revision_percent = core_forms.FrenchDecimalField(
        label=_("Révision annuelle des prix (%)"),
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text=RecurringPlan._meta.get_field("revision_percent").help_text,
    )
    revision_kind = forms.ChoiceField(label=_("Révision des prix"), choices=RevisionKind.choices, required=False)
    index_base_period = forms.CharField(
        label=_("Période de l'indice de référence (I0)"),
        max_length=20,
        required=False,
        help_text=_("Celle du contrat : 2024-08 pour un indice mensuel, T3 2024 trimestriel, 2024 annuel."),
    )
    index_base_value = core_forms.FrenchDecimalField(
        label=_("Valeur de l'indice de référence (I0)"),
        max_digits=12,
        decimal_places=4,
        required=False,
        help_text=RecurringPlan._meta.get_field("index_base_value").help_text,
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
            "revision_kind",
            "revision_percent",
            "price_index",
            "index_base_period",
            "index_base_value",
            "revision_date",
            "revision_every_months",
        ]
        field_classes = {"start_date": DateField, "end_date": DateField, "revision_date": DateField}
        widgets = {"start_date": DateInput(), "end_date": DateInput(), "revision_date": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["revision_every_months"].required = False
        indices = self.fields["price_index"]
        assert isinstance(indices, forms.ModelChoiceField)
        indices.queryset = PriceIndex.objects.filter(organisation_id=self.instance.organisation_id)
        indices.empty_label = _("— choisir un indice —")
        instance = self.instance
        if instance.index_base_period is not None and instance.price_index_id is not None:
            # The model's initial value is a date; the form shows the period as users type it (2024-08).
            self.initial["index_base_period"] = indexation.period_code(
                instance.index_base_period, instance.price_index.periodicity
            )

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
        self._clean_revision(cleaned)
        if cleaned.get("auto_send") and not cleaned.get("auto_issue"):
            self.add_error(
                "auto_send",
                _(
                    "Seule une facture émise peut être envoyée : cochez aussi « émettre automatiquement » "
                    "ou décochez l'envoi."
                ),
            )
        return cleaned

    def _clean_revision(self, cleaned: dict[str, Any]) -> None:
        """Check the fields of the chosen kind of revision and clear those of the others.

        Without a kind (the JSON of the command line), a percentage means a
        revision by percentage and an index a revision by index.
        """
        kind = cleaned.get("revision_kind") or ""
        if not kind:
            if cleaned.get("price_index") is not None:
                kind = RevisionKind.INDEX
            elif cleaned.get("revision_percent"):
                kind = RevisionKind.PERCENT
            else:
                kind = RevisionKind.NONE
        cleaned["revision_kind"] = kind
        if not cleaned.get("revision_every_months") and "revision_every_months" not in self.errors:
            cleaned["revision_every_months"] = RecurringPlan._meta.get_field("revision_every_months").default
        if kind != RevisionKind.PERCENT:
            cleaned["revision_percent"] = RecurringPlan._meta.get_field("revision_percent").default
        if kind != RevisionKind.INDEX:
            for name in ("price_index", "index_base_period", "index_base_value", "revision_date"):
                cleaned[name] = None
            return

        index = cleaned.get("price_index")
        if index is None:
            self.add_error(
                "price_index",
                _("Choisissez l'indice de révision, ou créez-le d'abord (Abonnements › Indices de prix)."),
            )
        if cleaned.get("index_base_value") is None:
            self.add_error("index_base_value", _("Indiquez la valeur de l'indice de référence I0 inscrite au contrat."))
        elif cleaned["index_base_value"] <= 0:
            self.add_error("index_base_value", _("La valeur de l'indice de référence doit être positive."))
        period_text = (cleaned.get("index_base_period") or "").strip()
        if not period_text:
            self.add_error("index_base_period", _("Indiquez la période de l'indice de référence, par exemple 2024-08."))
            cleaned["index_base_period"] = None
        elif index is not None:
            try:
                cleaned["index_base_period"] = indexation.parse_period(period_text, index.periodicity)
            except indexation.PeriodError as error:
                self.add_error("index_base_period", str(error))
                cleaned["index_base_period"] = None
        months = cleaned.get("revision_every_months")
        if index is not None and months:
            period_months = indexation.MONTHS_PER_PERIOD[index.periodicity]
            if months % period_months:
                self.add_error(
                    "revision_every_months",
                    _(
                        "L'indice %(index)s est %(periodicity)s : la révision doit revenir tous les "
                        "%(months)s mois ou un multiple (%(value)s saisi)."
                    )
                    % {
                        "index": index.name,
                        "periodicity": index.get_periodicity_display(),
                        "months": period_months,
                        "value": months,
                    },
                )
        start, revision_date = cleaned.get("start_date"), cleaned.get("revision_date")
        if start and revision_date and revision_date <= start:
            self.add_error(
                "revision_date",
                _(
                    "La première révision (%(date)s) doit suivre la première facture (%(start)s), "
                    "dont les prix sont ceux du contrat."
                )
                % {"date": revision_date.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")},
            )

    def _post_clean(self) -> None:
        # The typed period is a text, the model's field a date: the text was parsed in clean().
        period = self.cleaned_data.get("index_base_period")
        if isinstance(period, str):
            self.cleaned_data["index_base_period"] = None
        super()._post_clean()  # type: ignore[misc]


class PriceIndexForm(forms.ModelForm):
    class Meta:
        model = PriceIndex
        fields = ["name", "periodicity", "source"]

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if PriceIndex.objects.filter(organisation=self.organisation, name__iexact=name).exists():
            raise forms.ValidationError(
                _("Un indice « %(name)s » existe déjà : ajoutez-lui des valeurs.") % {"name": name}
            )
        return name


class IndexValueForm(forms.Form):
    """One value of an index: its period as users write it, and the published value."""

    period = forms.CharField(label=_("Période"), max_length=20)
    value = core_forms.FrenchDecimalField(
        label=_("Valeur"), max_digits=12, decimal_places=4, help_text=_("Telle que publiée, par exemple 296,3.")
    )

    def __init__(self, *args: Any, index: PriceIndex, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.index = index
        examples = {
            indexation.MONTHLY: _("Le mois, par exemple 2025-08 ou 08/2025."),
            indexation.QUARTERLY: _("Le trimestre, par exemple T3 2025."),
            indexation.YEARLY: _("L'année, par exemple 2025."),
        }
        self.fields["period"].help_text = examples[index.periodicity]

    def clean_period(self) -> Any:
        try:
            return indexation.parse_period(self.cleaned_data["period"], self.index.periodicity)
        except indexation.PeriodError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_value(self) -> Any:
        value = self.cleaned_data["value"]
        if value <= 0:
            raise forms.ValidationError(
                _("« %(value)s » : la valeur d'un indice est positive.")
                % {"value": self.data.get(self.add_prefix("value"))}
            )
        return value
