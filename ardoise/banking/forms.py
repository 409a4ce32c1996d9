from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.banking.csv_statements import COLUMN_NAMES, DATE_FORMATS, ENCODINGS, CsvLayout
from ardoise.banking.models import BankAccount
from ardoise.banking.statements import MAX_STATEMENT_BYTES, megabytes
from ardoise.core import validators
from ardoise.core.formats import format_iban
from ardoise.core.forms import IdentifierField
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice

# Separators travel as words: a tab in an option value is easily lost on the way.
DELIMITER_CODES = {"semicolon": ";", "comma": ",", "tab": "\t"}
DELIMITER_LABELS = {
    "semicolon": gettext_lazy("Point-virgule (;)"),
    "comma": gettext_lazy("Virgule (,)"),
    "tab": gettext_lazy("Tabulation"),
}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Relevé bancaire"),
        help_text=gettext_lazy("CAMT.053 (XML), OFX ou CSV exporté depuis votre banque, 10 Mo au plus."),
        error_messages={
            "empty": gettext_lazy(
                "Le fichier envoyé est vide (0 octet) : exportez de nouveau le relevé depuis votre banque."
            ),
            "required": gettext_lazy("Choisissez le fichier du relevé : CAMT.053, OFX ou CSV."),
        },
    )
    account = forms.ModelChoiceField(
        label=gettext_lazy("Compte"),
        queryset=BankAccount.objects.none(),
        required=False,
        empty_label=gettext_lazy("Reconnu d'après le relevé (CAMT.053, OFX)"),
        help_text=gettext_lazy("Un relevé CSV n'indique pas son compte : choisissez-le."),
    )

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = BankAccount.objects.filter(organisation=organisation)  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(
                _(
                    "Le fichier « %(name)s » pèse %(size)s Mo : la limite est de %(limit)s Mo. "
                    "Exportez une période plus courte (un mois, par exemple)."
                )
                % {
                    "name": upload.name,
                    "size": megabytes(upload.size),
                    "limit": MAX_STATEMENT_BYTES // 1024 // 1024,
                }
            )
        return upload


class AccountForm(forms.ModelForm):
    iban = IdentifierField(
        validators.clean_iban,
        display=format_iban,
        label=gettext_lazy("IBAN"),
        required=False,
        help_text=gettext_lazy("Les relevés CAMT.053 et OFX de ce compte y sont importés d'eux-mêmes."),
    )

    class Meta:
        model = BankAccount
        fields = ["name", "iban"]

    def clean_iban(self) -> str:
        iban: str = self.cleaned_data["iban"]
        others = BankAccount.objects.filter(organisation=self.instance.organisation, iban=iban)
        if iban and others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Un autre compte a déjà l'IBAN « %(iban)s ».") % {"iban": format_iban(iban)})
        return iban


class CsvMappingForm(forms.Form):
    """The column layout of a bank's CSV export. Columns are picked from the file when one is at hand."""

    delimiter = forms.ChoiceField(label=gettext_lazy("Séparateur"), choices=list(DELIMITER_LABELS.items()))
    encoding = forms.ChoiceField(label=gettext_lazy("Encodage"), choices=list(ENCODINGS.items()), required=False)
    skip_rows = forms.IntegerField(
        label=gettext_lazy("Lignes à sauter au début"),
        min_value=0,
        max_value=100,
        help_text=gettext_lazy("Lignes sur le compte avant les titres des colonnes (ou avant la première opération)."),
    )
    has_header = forms.BooleanField(label=gettext_lazy("Une ligne donne les titres des colonnes"), required=False)
    date_format = forms.ChoiceField(label=gettext_lazy("Format des dates"), choices=list(DATE_FORMATS.items()))
    decimal_comma = forms.BooleanField(
        label=gettext_lazy("Virgule décimale (1 234,56 plutôt que 1,234.56)"), required=False
    )

    def __init__(self, *args: Any, column_choices: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in COLUMN_NAMES.items():
            title = str(label)[:1].upper() + str(label)[1:]
            if column_choices is not None:
                choices = [(0, _("— aucune —")), *column_choices]
                self.fields[name] = forms.TypedChoiceField(
                    label=title, choices=choices, coerce=int, required=False, empty_value=None
                )
            else:
                self.fields[name] = forms.IntegerField(
                    label=title,
                    min_value=0,
                    max_value=200,
                    required=False,
                    help_text=_("Numéro de colonne, 0 si absente."),
                )

    @classmethod
    def initial_from(cls, layout: CsvLayout) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(layout, name) for name in CsvLayout.field_names()}
        initial["delimiter"] = next(
            (code for code, character in DELIMITER_CODES.items() if character == layout.delimiter), "semicolon"
        )
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        columns = {name: cleaned.get(name) or 0 for name in COLUMN_NAMES}
        if not columns["date_column"]:
            self.add_error("date_column", _("Choisissez la colonne de la date de l'opération."))
        if not columns["label_column"]:
            self.add_error("label_column", _("Choisissez la colonne du libellé."))
        split = columns["debit_column"] or columns["credit_column"]
        if not columns["amount_column"] and not split:
            self.add_error("amount_column", _("Choisissez la colonne du montant, ou celles du débit et du crédit."))
        if columns["amount_column"] and split:
            self.add_error(
                "amount_column",
                _("Choisissez une colonne de montant signé ou des colonnes de débit et de crédit, pas les deux."),
            )
        return cleaned

    def layout(self) -> CsvLayout:
        values: dict[str, Any] = {name: self.cleaned_data.get(name) for name in CsvLayout.field_names()}
        values["delimiter"] = DELIMITER_CODES[self.cleaned_data["delimiter"]]
        values["encoding"] = self.cleaned_data.get("encoding") or ""
        values["skip_rows"] = self.cleaned_data.get("skip_rows") or 0
        for name in COLUMN_NAMES:
            values[name] = self.cleaned_data.get(name) or 0
        return CsvLayout(**values)


class ManualMatchForm(forms.Form):
    """The customer who paid (or was refunded), and the documents the transaction settles."""

    customer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Client"), queryset=Customer.objects.none()
    )
    invoices: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Factures réglées"),
        queryset=Invoice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, customers: QuerySet[Any], documents: QuerySet[Any], is_credit: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["customer"].widget = forms.HiddenInput()
        self.fields["invoices"].queryset = documents  # type: ignore[attr-defined]
        if not is_credit:
            self.fields["invoices"].label = _("Avoir remboursé")
