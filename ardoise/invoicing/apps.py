from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "ardoise.invoicing"
    verbose_name = _("Facturation")
