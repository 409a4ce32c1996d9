from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import format_amount, format_date
from ardoise.integrity.exceptions import AppendOnlyError


class PaymentMethod(models.TextChoices):
    TRANSFER = "virement", _("Virement")
    CHEQUE = "cheque", _("Chèque")
    CARD = "carte", _("Carte bancaire")
    CASH = "especes", _("Espèces")
    DIRECT_DEBIT = "prelevement", _("Prélèvement")


class Payment(models.Model):
    """A payment received for an issued invoice, or the reversal of one.

    Payments are append-only, in the model and in the database (triggers in
    migration 0002): a payment recorded by mistake is cancelled by a reversal,
    a payment of the opposite amount whose ``reverses`` names the original.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="payments")
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
