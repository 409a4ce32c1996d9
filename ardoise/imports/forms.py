from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.imports.tables import MAX_BYTES
from ardoise.imports.targets import Target


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV ou XLSX"),
        help_text=gettext_lazy(
            "Une ligne de titres puis une ligne par fiche. CSV séparé par des points-virgules, des virgules ou des "
            "tabulations, en UTF-8 ou en Latin-1 ; ou classeur Excel (XLSX), première feuille. 5 Mo au plus."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("Le fichier « %(name)s » fait plus de 5 Mo : découpez-le en plusieurs fichiers."),
                params={"name": upload.name},
            )
        return upload


class MappingForm(forms.Form):
    """One choice per field of the target: which column of the file fills it."""

    def __init__(self, *args: Any, target: Target, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— Ne pas importer —"))]
        choices += [
            (str(index), title or _("Colonne %(number)s") % {"number": index + 1}) for index, title in enumerate(header)
        ]
        for column in target.columns:
            self.fields[column.name] = forms.ChoiceField(label=column.label, choices=choices, required=column.required)
            self.fields[column.name].error_messages["required"] = _(
                "Choisissez la colonne qui contient ce champ obligatoire."
            )

    def mapping(self) -> dict[str, int | None]:
        return {name: int(value) if value != "" else None for name, value in self.cleaned_data.items()}
