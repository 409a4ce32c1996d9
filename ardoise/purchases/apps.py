from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasesConfig(AppConfig):
    name = "ardoise.purchases"
    verbose_name = _("Factures fournisseurs")
