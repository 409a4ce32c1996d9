from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "ardoise.mailing"
    verbose_name = _("E-mails")

    def ready(self) -> None:
        from ardoise.mailing import automatic

        automatic.connect()
