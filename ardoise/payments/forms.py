from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import format_amount
from ardoise.core.forms import FrenchDecimalField
from ardoise.invoicing.forms import DateInput
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import PaymentMethod

ZERO = Decimal("0")


class PaymentForm(forms.Form):
    """A payment received for an issued invoice; ``record_payment`` checks it against the balance."""

    amount = FrenchDecimalField(label=_("Montant reçu"), max_digits=14, decimal_places=2)
    date = forms.DateField(label=_("Date du paiement"), widget=DateInput(), input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    method = forms.ChoiceField(
        label=_("Moyen de paiement"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    reference = forms.CharField(
        label=_("Référence"),
        max_length=100,
        required=False,
        help_text=_("Facultatif : libellé du virement, numéro de chèque…"),
    )

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        if invoice.is_credit_note:
            # On a credit note the form records a refund paid to the customer.
            self.fields["amount"].label = _("Montant remboursé")
            self.fields["date"].label = _("Date du remboursement")
            self.fields["amount"].initial = invoice.refund_due()
        else:
            self.fields["amount"].initial = invoice.balance()
        self.fields["date"].initial = timezone.localdate()

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        if amount <= ZERO:
            raise forms.ValidationError(
                _("Le montant doit être supérieur à %(zero)s (vous avez saisi « %(value)s »)."),
                code="min_value",
                params={
                    "zero": format_amount(ZERO, self.invoice.currency),
                    "value": self.data.get(self.add_prefix("amount"), "").strip(),
                },
            )
        return amount
