from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import format_date
from ardoise.core.forms import DateField
from ardoise.invoicing.forms import DateInput


class JournalFilterForm(forms.Form):
    """Filters of the audit journal: one user, and a range of dates (both included)."""

    user: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Utilisateur"), queryset=None, required=False, empty_label=_("Tous les utilisateurs")
    )
    start = DateField(label=_("Du"), required=False, widget=DateInput())
    end = DateField(label=_("Au"), required=False, widget=DateInput())

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.queryset = users  # type: ignore[attr-defined]
        field.label_from_instance = lambda user: user.email or user.username  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = _(
            "Cet utilisateur n'existe pas dans votre entreprise : choisissez-en un dans la liste."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: datetime.date | None = cleaned.get("start")
        end: datetime.date | None = cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(
                _("La date de début (%(start)s) est postérieure à la date de fin (%(end)s) : inversez-les."),
                params={"start": format_date(start), "end": format_date(end)},
            )
        return cleaned
