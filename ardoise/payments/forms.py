from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import format_amount, format_date
from ardoise.core.forms import DateField, FrenchDecimalField
from ardoise.customers.models import Customer
from ardoise.invoicing.forms import DateInput
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import PaymentMethod

ZERO = Decimal("0")
BANK_FEES_HELP = _(
    "Facultatif : ce que la banque ou le terminal de paiement a retenu. "
    "Le compte reçoit le montant moins ces frais ; la facture est réglée du montant entier."
)


class PaymentForm(forms.Form):
    """A payment received for an issued invoice; ``record_payment`` checks it against the balance."""

    amount = FrenchDecimalField(label=_("Montant reçu"), max_digits=14, decimal_places=2)
    date = DateField(label=_("Date du paiement"), widget=DateInput())
    method = forms.ChoiceField(
        label=_("Moyen de paiement"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    reference = forms.CharField(
        label=_("Référence"),
        max_length=100,
        required=False,
        help_text=_("Facultatif : libellé du virement, numéro de chèque…"),
    )
    bank_fees = FrenchDecimalField(
        label=_("Frais bancaires"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=BANK_FEES_HELP,
    )

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        if invoice.is_credit_note:
            # On a credit note the form records a refund paid to the customer, which has no bank fees.
            self.fields["amount"].label = _("Montant remboursé")
            self.fields["date"].label = _("Date du remboursement")
            self.fields["amount"].initial = invoice.refund_due()
            del self.fields["bank_fees"]
        else:
            self.fields["amount"].initial = invoice.balance()
        self.fields["date"].initial = timezone.localdate()

    def clean_amount(self) -> Decimal:
        return check_positive_amount(self, self.cleaned_data["amount"], self.invoice.currency)

    def clean_bank_fees(self) -> Decimal:
        return clean_fees(self)


def clean_fees(form: forms.Form) -> Decimal:
    """Return the typed bank fees, zero when left empty; ``receive_payment`` compares them with the amount."""
    fees: Decimal | None = form.cleaned_data.get("bank_fees")
    if fees is None:
        return Decimal("0.00")
    if fees < ZERO:
        raise forms.ValidationError(
            _("Les frais bancaires ne peuvent pas être négatifs (vous avez saisi « %(value)s »)."),
            code="min_value",
            params={"value": form.data.get(form.add_prefix("bank_fees"), "").strip()},
        )
    return fees


def check_positive_amount(form: forms.Form, amount: Decimal, currency: str) -> Decimal:
    if amount <= ZERO:
        raise forms.ValidationError(
            _("Le montant doit être supérieur à %(zero)s (vous avez saisi « %(value)s »)."),
            code="min_value",
            params={
                "zero": format_amount(ZERO, currency),
                "value": form.data.get(form.add_prefix("amount"), "").strip(),
            },
        )
    return amount


class ReceiptForm(forms.Form):
    """Money received from one customer, and the part of it that settles each of the customer's open invoices.

    Each invoice gets one amount field, ``invoice_<pk>``. What the fields do
    not allocate becomes the customer's credit. ``receive_payment`` checks the
    allocations again with the invoices locked; the form checks them first so
    that each error sits next to its invoice.
    """

    customer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Client"), queryset=None, empty_label=_("Choisissez un client")
    )
    amount = FrenchDecimalField(label=_("Montant reçu"), max_digits=14, decimal_places=2)
    date = DateField(label=_("Date de réception"), widget=DateInput())
    method = forms.ChoiceField(
        label=_("Moyen de paiement"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    reference = forms.CharField(
        label=_("Référence"),
        max_length=140,
        required=False,
        help_text=_("Facultatif : libellé du virement, numéro de chèque ou de remise…"),
    )
    bank_fees = FrenchDecimalField(
        label=_("Frais bancaires"), max_digits=14, decimal_places=2, required=False, help_text=BANK_FEES_HELP
    )
    currency = forms.ChoiceField(label=_("Devise"), choices=[("EUR", "EUR")], initial="EUR")
    # The customer and currency whose invoices the page showed, as "<customer id>:<currency>":
    # allocations typed for another customer's invoices are never saved.
    shown_for = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        customers: QuerySet[Customer],
        invoices: Sequence[Invoice],
        currencies: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.invoices = list(invoices)
        field = self.fields["customer"]
        field.queryset = customers  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = _("Ce client n'existe pas : choisissez-en un dans la liste.")
        currency_field = self.fields["currency"]
        currency_field.choices = [(code, code) for code in currencies]  # type: ignore[attr-defined]
        if len(currencies) == 1:
            currency_field.widget = forms.HiddenInput()
        for invoice in self.invoices:
            amount_field = FrenchDecimalField(
                label=_("Montant affecté à la facture %(number)s") % {"number": invoice.number},
                max_digits=14,
                decimal_places=2,
                required=False,
            )
            self.fields[self.field_name(invoice)] = amount_field

    @staticmethod
    def field_name(invoice: Invoice) -> str:
        return "invoice_%s" % invoice.pk

    def rows(self) -> list[tuple[Invoice, forms.BoundField]]:
        return [(invoice, self[self.field_name(invoice)]) for invoice in self.invoices]

    def clean_amount(self) -> Decimal:
        return check_positive_amount(self, self.cleaned_data["amount"], str(self.data.get("currency") or "EUR"))

    def clean_bank_fees(self) -> Decimal:
        return clean_fees(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        currency = str(cleaned.get("currency") or "EUR")
        # Summed before the checks below, which drop a refused allocation from cleaned_data.
        self.typed_allocated = self._typed_total(cleaned)
        for invoice in self.invoices:
            name = self.field_name(invoice)
            share = cleaned.get(name)
            if share is None:
                continue
            if share < ZERO:
                self.add_error(name, _("Saisissez un montant positif, ou 0 pour ne rien affecter à cette facture."))
            elif share and invoice.balance() <= ZERO:
                self.add_error(
                    name, _("La facture %(number)s est déjà entièrement payée : mettez 0.") % {"number": invoice.number}
                )
            elif share > invoice.balance():
                self.add_error(
                    name,
                    _("Il ne reste que %(balance)s à payer sur la facture %(number)s.")
                    % {"balance": format_amount(invoice.balance(), currency), "number": invoice.number},
                )
        amount = cleaned.get("amount")
        if amount is not None and self.typed_allocated is not None and self.typed_allocated > amount:
            raise forms.ValidationError(
                _(
                    "Les montants affectés aux factures (%(allocated)s) dépassent le montant reçu (%(amount)s) : "
                    "réduisez-les ou corrigez le montant reçu."
                ),
                params={
                    "allocated": format_amount(self.typed_allocated, currency),
                    "amount": format_amount(amount, currency),
                },
            )
        return cleaned

    def _typed_total(self, cleaned: dict[str, Any]) -> Decimal | None:
        """Return the sum of the allocations, or None while one of them is not a number."""
        total = Decimal("0.00")
        for invoice in self.invoices:
            name = self.field_name(invoice)
            if name in self.errors:
                return None
            total += cleaned.get(name) or ZERO
        return total

    def allocations(self) -> list[tuple[Invoice, Decimal]]:
        """Return the invoices with a non-zero allocation and its amount; the form must be valid."""
        allocations = []
        for invoice in self.invoices:
            share = self.cleaned_data.get(self.field_name(invoice))
            if share:
                allocations.append((invoice, share))
        return allocations

    def summary(self) -> dict[str, Decimal] | None:
        """Return the amount received, the part allocated to invoices and the part kept as credit.

        None until the amount and every allocation are numbers.
        """
        if self.is_bound:
            if self.errors.get("amount") or not hasattr(self, "typed_allocated"):
                return None
            amount, allocated = self.cleaned_data.get("amount"), self.typed_allocated
        else:
            amount = self.initial.get("amount")
            allocated = sum((self.initial.get(self.field_name(invoice)) or ZERO for invoice in self.invoices), ZERO)
        if amount is None or allocated is None:
            return None
        return {"amount": amount, "allocated": allocated, "credit": amount - allocated}


class ReceiptFilterForm(forms.Form):
    """Filters of the receipts list: a range of dates (both included), a customer, a method, a reference."""

    start = DateField(label=_("Du"), required=False, widget=DateInput())
    end = DateField(label=_("Au"), required=False, widget=DateInput())
    client: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Client"), queryset=None, required=False, empty_label=_("Tous les clients")
    )
    moyen = forms.ChoiceField(
        label=_("Moyen"), required=False, choices=[("", _("Tous les moyens")), *PaymentMethod.choices]
    )
    q = forms.CharField(
        label=_("Référence"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Libellé, n° de chèque…")}),
    )

    def __init__(self, *args: Any, customers: QuerySet[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        field.queryset = customers  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = _("Ce client n'existe pas : choisissez-en un dans la liste.")

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


class CreditRefundForm(forms.Form):
    """A refund of part or all of a customer's credit in one currency, checked against that credit."""

    amount = FrenchDecimalField(label=_("Montant remboursé"), max_digits=14, decimal_places=2)
    date = DateField(label=_("Date du remboursement"), widget=DateInput())
    method = forms.ChoiceField(
        label=_("Moyen de paiement"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    reference = forms.CharField(
        label=_("Référence"),
        max_length=140,
        required=False,
        help_text=_("Facultatif : libellé du virement, numéro de chèque…"),
    )

    def __init__(self, *args: Any, currency: str, credit: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.credit = credit
        self.fields["amount"].initial = credit
        self.fields["date"].initial = timezone.localdate()

    def clean_amount(self) -> Decimal:
        amount = check_positive_amount(self, self.cleaned_data["amount"], self.currency)
        if amount > self.credit:
            raise forms.ValidationError(
                _(
                    "Le client n'a que %(credit)s de crédit : remboursez au plus ce montant "
                    "(vous avez saisi « %(value)s »)."
                ),
                code="max_value",
                params={
                    "credit": format_amount(self.credit, self.currency),
                    "value": self.data.get(self.add_prefix("amount"), "").strip(),
                },
            )
        return amount
