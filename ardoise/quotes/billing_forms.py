"""The « Facturer » form of an accepted quote."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.invoicing.forms import FrenchDecimalField
from ardoise.quotes.billing import BillingChoice
from ardoise.quotes.billing_models import BillingKind
from ardoise.quotes.models import Quote

DEPOSIT_PERCENT = "percent"
DEPOSIT_EXCLUDING = "excluding"
DEPOSIT_INCLUDING = "including"
PROGRESS_OVERALL = "overall"
PROGRESS_PER_LINE = "per_line"


class QuoteBillingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de facture"), choices=BillingKind.choices, widget=forms.RadioSelect)
    deposit_mode = forms.ChoiceField(
        label=_("Acompte exprimé en"),
        choices=[
            (DEPOSIT_PERCENT, _("pourcentage du total TTC")),
            (DEPOSIT_EXCLUDING, _("montant HT")),
            (DEPOSIT_INCLUDING, _("montant TTC")),
        ],
        initial=DEPOSIT_PERCENT,
        required=False,
        widget=forms.RadioSelect,
    )
    deposit_value = FrenchDecimalField(
        label=_("Pourcentage ou montant de l'acompte"), max_digits=14, decimal_places=2, required=False
    )
    progress_mode = forms.ChoiceField(
        label=_("Avancement"),
        choices=[
            (PROGRESS_OVERALL, _("pourcentage cumulé global")),
            (PROGRESS_PER_LINE, _("pourcentage cumulé par ligne")),
        ],
        initial=PROGRESS_OVERALL,
        required=False,
        widget=forms.RadioSelect,
    )
    progress_percent = FrenchDecimalField(
        label=_("Pourcentage cumulé global (%)"), max_digits=5, decimal_places=2, required=False
    )

    def __init__(self, *args: Any, quote: Quote, reached: dict[int, Decimal] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quote = quote
        self.line_fields: list[tuple[str, Any]] = []
        for line in quote.lines.all():
            name = "line_%s" % line.pk
            self.fields[name] = FrenchDecimalField(
                label=line.name,
                max_digits=5,
                decimal_places=2,
                required=False,
                initial=(reached or {}).get(line.pk),
            )
            self.line_fields.append((name, line))
        if quote.deposit_percent and not self.is_bound:
            self.initial.setdefault("deposit_value", quote.deposit_percent)

    def line_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _line in self.line_fields]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind == BillingKind.DEPOSIT and cleaned.get("deposit_value") is None:
            self.add_error("deposit_value", _("Indiquez le pourcentage ou le montant de l'acompte."))
        if kind == BillingKind.PROGRESS:
            per_line = cleaned.get("progress_mode") == PROGRESS_PER_LINE
            if not per_line and cleaned.get("progress_percent") is None:
                self.add_error("progress_percent", _("Indiquez le pourcentage cumulé de la situation."))
            if per_line and all(cleaned.get(name) is None for name, _line in self.line_fields):
                self.add_error(None, _("Indiquez le pourcentage cumulé d'au moins une ligne."))
        return cleaned

    def choice(self) -> BillingChoice:
        """Return the invoice that the valid form requests."""
        data = self.cleaned_data
        kind = data["kind"]
        if kind == BillingKind.DEPOSIT:
            mode = data.get("deposit_mode") or DEPOSIT_PERCENT
            if mode == DEPOSIT_PERCENT:
                return BillingChoice(kind, percent=data["deposit_value"])
            return BillingChoice(kind, amount=data["deposit_value"], including_vat=mode == DEPOSIT_INCLUDING)
        if kind == BillingKind.PROGRESS:
            if data.get("progress_mode") == PROGRESS_PER_LINE:
                line_percents = {line.pk: data[name] for name, line in self.line_fields if data.get(name) is not None}
                return BillingChoice(kind, line_percents=line_percents)
            return BillingChoice(kind, percent=data["progress_percent"])
        return BillingChoice(kind)
