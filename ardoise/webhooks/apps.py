from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "ardoise.webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from ardoise.webhooks import events

        events.connect()
