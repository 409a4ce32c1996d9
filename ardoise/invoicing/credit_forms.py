"""The form that chooses what a credit note credits: a quantity per invoice line, and a note."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import format_quantity
from ardoise.core.forms import FrenchDecimalField
from ardoise.invoicing.credit_notes import QUANTITY_PLACES, CreditableLine


class CreditNoteForm(forms.Form):
    """One quantity field per invoice line (``line_<rank>``), each bounded by what is left to credit.

    ``create_credit_note`` checks the same bounds again under a lock; the form
    checks them first so that each error sits next to its line.
    """

    notes = forms.CharField(
        label=_("Notes imprimées sur l'avoir"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple le motif : « Article retourné », « Erreur de prix »."),
    )

    def __init__(self, *args: Any, lines: list[CreditableLine], initial_quantities: dict[int, Decimal], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            field = FrenchDecimalField(
                label=_("Quantité à créditer"),
                max_digits=16,
                decimal_places=QUANTITY_PLACES,
                min_value=0,
                required=False,
                initial=initial_quantities.get(line.rank, Decimal("0")).normalize(),
            )
            field.widget.attrs["aria-label"] = _("Quantité à créditer, ligne %(rank)s") % {"rank": line.rank}
            # A line already credited in full keeps its field, greyed out, so that the ranks stay aligned.
            field.disabled = not line.remaining
            self.fields[self.field_name(line)] = field

    @staticmethod
    def field_name(line: CreditableLine) -> str:
        return "line_%s" % line.rank

    def rows(self) -> list[tuple[CreditableLine, forms.BoundField]]:
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for line in self.lines:
            quantity = cleaned.get(self.field_name(line))
            if quantity and quantity > abs(line.remaining):
                self.add_error(
                    self.field_name(line),
                    _("Il ne reste que %(remaining)s à créditer sur la ligne « %(name)s ».")
                    % {"remaining": format_quantity(abs(line.remaining)), "name": line.line.name},
                )
        if not self.errors and not any(self.quantities().values()):
            raise forms.ValidationError(_("Indiquez au moins une ligne et une quantité à créditer."))
        return cleaned

    def quantities(self) -> dict[int, Decimal]:
        """Return the quantity typed per line rank; the form must be valid."""
        return {line.rank: self.cleaned_data.get(self.field_name(line)) or Decimal("0") for line in self.lines}
