"""The chart of accounts each organisation uses when its documents become accounting entries.

The defaults follow the French general chart of accounts (PCG): 411 customers,
706 services, 707 goods, 44571 VAT collected, 512 bank, 627 bank fees. An
accountant who uses longer numbers (411000, 7061…) or one revenue account per
VAT rate changes them here, once. Each customer has an auxiliary account, whose
code can be set too.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

ACCOUNT_NUMBER = RegexValidator(
    r"^[0-9A-Za-z]{1,20}\Z",
    _("Un numéro de compte s'écrit avec des chiffres et des lettres, sans espace, 20 caractères au plus."),
)
JOURNAL_CODE = RegexValidator(
    r"^[0-9A-Za-z]{1,6}\Z",
    _("Un code journal s'écrit avec des chiffres et des lettres, sans espace, 6 caractères au plus."),
)


def account_field(verbose_name: str, default: str, **kwargs: object) -> models.CharField:
    return models.CharField(verbose_name, max_length=20, default=default, validators=[ACCOUNT_NUMBER], **kwargs)


class AccountingSettings(models.Model):
    """The journals and accounts of one organisation, with the PCG defaults."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="accounting_settings"
    )
    fiscal_year_end_month = models.PositiveSmallIntegerField(
        _("mois de clôture de l'exercice"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("L'exercice se termine le dernier jour de ce mois : 12 pour un exercice civil."),
    )
    sales_journal = models.CharField(
        _("code du journal des ventes"), max_length=6, default="VE", validators=[JOURNAL_CODE]
    )
    sales_journal_label = models.CharField(_("libellé du journal des ventes"), max_length=100, default="Ventes")
    bank_journal = models.CharField(
        _("code du journal de banque"), max_length=6, default="BQ", validators=[JOURNAL_CODE]
    )
    bank_journal_label = models.CharField(_("libellé du journal de banque"), max_length=100, default="Banque")
    customer_account = account_field(_("compte clients"), "411")
    service_revenue_account = account_field(_("compte de ventes de prestations de services"), "706")
    goods_revenue_account = account_field(_("compte de ventes de marchandises"), "707")
    vat_account = account_field(_("compte de TVA collectée"), "44571")
    bank_account = account_field(_("compte de banque"), "512")
    bank_fees_account = account_field(_("compte de frais bancaires"), "627")
    rounding_gain_account = account_field(_("compte des écarts d'arrondi positifs"), "758")
    rounding_loss_account = account_field(_("compte des écarts d'arrondi négatifs"), "658")

    class Meta:
        verbose_name = _("paramètres comptables")

    def __str__(self) -> str:
        return "accounting settings of organisation %s" % self.organisation_id


class VatRateAccounts(models.Model):
    """Accounts that replace the defaults for the lines and the VAT of one rate, e.g. 7062 and 445712 at 10 %."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    rate = models.DecimalField(
        _("taux de TVA (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    service_revenue_account = account_field(_("compte de prestations de services"), "", blank=True)
    goods_revenue_account = account_field(_("compte de marchandises"), "", blank=True)
    vat_account = account_field(_("compte de TVA collectée"), "", blank=True)

    class Meta:
        verbose_name = _("comptes d'un taux de TVA")
        ordering = ["-rate"]
        constraints = [models.UniqueConstraint(fields=["organisation", "rate"], name="one_account_rule_per_rate")]

    def __str__(self) -> str:
        return "accounts for VAT rate %s%%" % self.rate


class ProductAccount(models.Model):
    """The revenue account of one product, which wins over the accounts of its VAT rate and kind."""

    product = models.OneToOneField("catalogue.Product", on_delete=models.CASCADE, related_name="accounting")
    revenue_account = account_field(_("compte de ventes"), "")

    def __str__(self) -> str:
        return "revenue account of product %s" % self.product_id


class CustomerAccount(models.Model):
    """The auxiliary account code of one customer, when the default ``C`` + number does not suit."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="accounting")
    code = models.CharField(_("compte auxiliaire"), max_length=20, validators=[ACCOUNT_NUMBER])

    def __str__(self) -> str:
        return "auxiliary account of customer %s" % self.customer_id
