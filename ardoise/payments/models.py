from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    TRANSFER = "virement", _("Virement")
    CHEQUE = "cheque", _("Chèque")
    CARD = "carte", _("Carte bancaire")
    CASH = "especes", _("Espèces")
    DIRECT_DEBIT = "prelevement", _("Prélèvement")


class Payment(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="payments")
    date = models.DateField(_("date du paiement"))
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    method = models.CharField(
        _("moyen de paiement"), max_length=20, choices=PaymentMethod, default=PaymentMethod.TRANSFER
    )
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("paiement")
        ordering = ["-date", "-id"]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=Decimal("0")), name="payment_not_zero")]

    def __str__(self) -> str:
        return "%s %s" % (self.date, self.amount)
