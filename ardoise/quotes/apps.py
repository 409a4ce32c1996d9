from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "ardoise.quotes"
    verbose_name = _("Devis")

    def ready(self) -> None:
        from ardoise.invoicing import sources
        from ardoise.quotes.billing import QuoteInvoiceSource

        sources.register(QuoteInvoiceSource())
