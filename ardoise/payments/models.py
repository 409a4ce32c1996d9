from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import format_amount, format_date
from ardoise.core.money import currency_decimals, quantize
from ardoise.integrity.exceptions import AppendOnlyError


class PaymentMethod(models.TextChoices):
    TRANSFER = "virement", _("Virement")
    CHEQUE = "cheque", _("Chèque")
    CARD = "carte", _("Carte bancaire")
    CASH = "especes", _("Espèces")
    DIRECT_DEBIT = "prelevement", _("Prélèvement")


class ReceiptKind(models.TextChoices):
    RECEIVED = "received", _("Encaissement")
    REFUND = "refund", _("Remboursement")


class Receipt(models.Model):
    """Money that moved between the business and a customer in one go: a transfer,
    cheque, card or cash payment received, or a refund paid back.

    A receipt settles invoices through its ``payments``, one per invoice (a
    refund settles credit notes the same way). What a received receipt does not
    settle is the customer's credit, which can be applied to a later invoice or
    refunded with a refund receipt that settles nothing. Receipts are
    append-only like payments: a receipt recorded by mistake is cancelled by a
    reversal of the opposite amount whose ``reverses`` names the original.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="receipts")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="receipts")
    kind = models.CharField(max_length=10, choices=ReceiptKind, default=ReceiptKind.RECEIVED)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    method = models.CharField(
        _("moyen de paiement"), max_length=20, choices=PaymentMethod, default=PaymentMethod.TRANSFER
    )
    reference = models.CharField(_("référence"), max_length=140, blank=True)
    # What the bank kept: the customer paid ``amount``, the account received ``amount - bank_fees``.
    bank_fees = models.DecimalField(_("frais bancaires"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal", verbose_name=_("annule")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("encaissement")
        ordering = ["-date", "-id"]
        indexes = [
            # Covering: the accounts on an earlier date add up the receipts of a few days from the index alone.
            models.Index(
                fields=["organisation", "date"],
                include=["currency", "customer", "kind", "amount"],
                name="receipt_org_date",
            ),
            # A customer statement reads one customer's receipts over a period. Without this index,
            # PostgreSQL intersects the customer and date indexes, so it scans every receipt of the period.
            models.Index(fields=["customer", "date"], name="receipt_customer_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True, amount__gt=0)
                | models.Q(reverses__isnull=False, amount__lt=0),
                name="receipt_positive_unless_reversal",
            ),
            models.CheckConstraint(condition=models.Q(bank_fees__gte=0), name="receipt_fees_not_negative"),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s de %(amount)s du %(date)s") % {
            "kind": self.get_kind_display(),
            "amount": format_amount(self.amount, self.currency),
            "date": format_date(self.date),
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(self)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("payments:receipt", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(self)

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversal")

    @property
    def is_refund(self) -> bool:
        return self.kind == ReceiptKind.REFUND

    def allocated(self) -> Decimal:
        """Return the part of the receipt that settles documents; the rest is customer credit."""
        total = self.payments.aggregate(total=models.Sum("amount"))["total"] or Decimal("0.00")
        return quantize(Decimal(total), currency_decimals(self.currency))

    def unallocated(self) -> Decimal:
        return self.amount - self.allocated()


class Payment(models.Model):
    """The part of a receipt that settles one invoice (or, for a refund, one credit note),
    or the reversal of such a part.

    Payments are append-only, in the model and in the database (triggers in
    migration 0002): a payment recorded by mistake is cancelled by a reversal,
    a payment of the opposite amount whose ``reverses`` names the original.
    Payments recorded before receipts existed got one receipt each in
    migration 0003, so every payment has one.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="payments")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="payments")
    # True when the payment settles the invoice with credit the receipt left earlier (``apply_credit``).
    from_credit = models.BooleanField(default=False)
    date = models.DateField(_("date du paiement"))
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    method = models.CharField(
        _("moyen de paiement"), max_length=20, choices=PaymentMethod, default=PaymentMethod.TRANSFER
    )
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal", verbose_name=_("annule")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # PROTECT: clearing the user of a recorded payment would be an update, which the triggers reject.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("paiement")
        ordering = ["-date", "-id"]
        indexes = [
            # The VAT on receipts and the payment delays read the payments of a period.
            models.Index(fields=["organisation", "date"], name="payment_org_date"),
            # An invoice's payments, and their sum after a date (balances on an earlier date), from
            # the index alone on PostgreSQL.
            models.Index(fields=["invoice", "date"], include=["amount"], name="payment_invoice_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=Decimal("0")), name="payment_not_zero"),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True, amount__gt=0)
                | models.Q(reverses__isnull=False, amount__lt=0),
                name="payment_positive_unless_reversal",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Paiement de %(amount)s du %(date)s") % {
            "amount": format_amount(self.amount, self.invoice.currency),
            "date": format_date(self.date),
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(self)

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversal")
