from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ardoise.accounts"
    verbose_name = _("Comptes et entreprises")
