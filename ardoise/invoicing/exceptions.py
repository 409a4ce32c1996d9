from typing import Any

from django.utils.translation import gettext as _


class InvoicingError(Exception):
    """A business rule stopped an invoicing operation; the message is for the user."""

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class IssuedInvoiceError(InvoicingError):
    """Raised on any attempt to change or delete an issued invoice."""

    def __init__(self, invoice: Any) -> None:
        super().__init__(
            _(
                "La facture %(number)s est émise : elle ne peut plus être modifiée ni supprimée. "
                "Pour la corriger, établissez un avoir."
            )
            % {"number": invoice.number or invoice.pk}
        )
        self.invoice = invoice


class SeriesInUseError(InvoicingError):
    """Raised on any attempt to change the pattern or reset policy of a series that has issued a number."""

    def __init__(self, series: Any) -> None:
        super().__init__(
            _(
                "La séquence « %(name)s » a déjà servi à numéroter des factures : son modèle et sa remise à zéro "
                "ne peuvent plus changer, car les numéros suivants pourraient répéter d'anciens numéros. "
                "Créez une nouvelle séquence et choisissez-la par défaut."
            )
            % {"name": series.name}
        )
        self.series = series
