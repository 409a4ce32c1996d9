from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "ardoise.quotes"
    verbose_name = _("Devis")

    def ready(self) -> None:
        # Register the quote and pro forma e-mail template kinds.
        from ardoise.invoicing import sources
        from ardoise.quotes import mailing  # noqa: F401
        from ardoise.quotes.billing import QuoteInvoiceSource

        # Complete and check the invoices made from quotes.
        sources.register(QuoteInvoiceSource())
