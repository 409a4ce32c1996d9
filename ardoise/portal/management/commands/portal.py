"""``ardoise portal``: print the portal link of a sent document, or revoke its links."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.portal import links
from ardoise.portal.exceptions import PortalError
from ardoise.quotes.models import Quote

# A link valid for more than ten years would outlive the legal retention period of the document.
MAX_EXPIRY_DAYS = 3660


def positive_days(raw: str) -> int:
    """Parse --expires: a whole number of days, from 1 to MAX_EXPIRY_DAYS."""
    try:
        days = int(raw)
    except ValueError:
        raise CommandError(
            _("--expires : « %(value)s » n'est pas un nombre de jours entier, par exemple 30.") % {"value": raw}
        ) from None
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise CommandError(
            _("--expires : %(value)s jours n'est pas accepté, indiquez un nombre entre 1 et %(max)s.")
            % {"value": days, "max": MAX_EXPIRY_DAYS}
        )
    return days


class Command(FrenchCommand):
    help = "Portail client : afficher le lien d'un document émis, ou révoquer ses liens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        link = actions.add_parser(
            "link", help="Afficher l'adresse du portail d'un document, en créant le lien s'il le faut."
        )
        link.add_argument(
            "number", metavar="NUMERO", help="Numéro du document émis, par exemple F-2026-0001 ou D-2026-0001."
        )
        link.add_argument(
            "--expires",
            metavar="JOURS",
            help="Créer un nouveau lien valable ce nombre de jours, au lieu de réutiliser le lien en cours.",
        )
        revoke = actions.add_parser("revoke", help="Révoquer tous les liens en cours d'un document.")
        revoke.add_argument(
            "number", metavar="NUMERO", help="Numéro du document émis, par exemple F-2026-0001 ou D-2026-0001."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        document = _find_document(organisation, options["number"])
        if options["action"] == "revoke":
            count = links.revoke_all(document)
            if count == 0:
                self.stdout.write(_("Aucun lien en cours pour %(number)s : rien à révoquer.") % {"number": document})
            else:
                self.stdout.write(
                    _("%(count)s lien(s) révoqué(s) pour %(number)s.") % {"count": count, "number": document}
                )
            return
        try:
            if options["expires"] is None:
                url = links.portal_url(document)
            else:
                days = positive_days(options["expires"])
                expires_at = timezone.now() + datetime.timedelta(days=days)
                url = links.link_url(links.create_link(document, expires_at=expires_at))
        except PortalError as error:
            raise CommandError(error.message) from None
        self.stdout.write(url)


def _find_document(organisation: Any, number: str) -> Any:
    """Return the organisation's issued invoice, credit note or quote numbered ``number``."""
    invoice = Invoice.objects.filter(organisation=organisation, number=number, status=InvoiceStatus.ISSUED).first()
    if invoice is not None:
        return invoice
    quote = Quote.objects.filter(organisation=organisation, number=number).issued().first()
    if quote is not None:
        return quote
    raise CommandError(
        _("Aucun document émis n° « %(number)s » : vérifiez le numéro, par exemple F-2026-0001 ou D-2026-0001.")
        % {"number": number}
    )
