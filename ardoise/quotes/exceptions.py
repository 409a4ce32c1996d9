from typing import Any

from django.utils.translation import gettext as _

from ardoise.invoicing.exceptions import InvoicingError


class QuoteError(InvoicingError):
    """A business rule stopped a quote operation; the message is for the user."""


class IssuedQuoteError(QuoteError):
    """Raised on any attempt to change the content of an issued quote or to delete it."""

    def __init__(self, quote: Any) -> None:
        super().__init__(
            _(
                "Le devis %(number)s est émis : son contenu ne peut plus être modifié ni supprimé. "
                "Pour le changer, créez-en une nouvelle version (bouton « Réviser »)."
            )
            % {"number": quote.number or quote.pk}
        )
        self.quote = quote
