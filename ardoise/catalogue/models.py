from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ardoise.core.units import UNIT_CHOICES
from ardoise.core.vat import LINE_VAT_RATE_CHOICES


class ProductKind(models.TextChoices):
    SERVICE = "service", _("Prestation de services")
    GOODS = "goods", _("Vente de biens")


class Product(models.Model):
    """A product or service of the catalogue, copied into invoice lines."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("désignation"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("nature"), max_length=10, choices=ProductKind, default=ProductKind.SERVICE)
    unit = models.CharField(_("unité"), max_length=3, choices=UNIT_CHOICES, default="C62")
    unit_price = models.DecimalField(
        _("prix unitaire HT"), max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal("0"))]
    )
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=5, decimal_places=2, choices=LINE_VAT_RATE_CHOICES, default=Decimal("20.00")
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
