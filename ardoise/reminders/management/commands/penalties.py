"""``ardoise penalties NUMERO [--date D]``: the late penalties and indemnity an invoice owes on a day."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.core.formats import format_amount, format_date, format_rate
from ardoise.reminders import services
from ardoise.reminders.cli import find_invoice, parse_day


class Command(FrenchCommand):
    help = "Calculer les pénalités de retard et l'indemnité forfaitaire d'une facture à une date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        parser.add_argument("number", metavar="NUMERO", help="Numéro de la facture, par exemple F-2026-0001.")
        parser.add_argument("--date", metavar="AAAA-MM-JJ", help="Date du calcul (par défaut : aujourd'hui).")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        invoice = find_invoice(organisation, options["number"])
        day = parse_day(options["date"], timezone.localdate())
        current = services.situation(invoice, day)
        currency = invoice.currency

        write = self.stdout.write
        write(_("Facture %(number)s au %(date)s") % {"number": invoice.number, "date": format_date(day)})
        write(_("  Reste dû : %(amount)s") % {"amount": format_amount(current.balance, currency)})
        if current.due_date:
            write(_("  Échéance : %(date)s") % {"date": format_date(current.due_date)})
        write(_("  Jours de retard : %(days)s") % {"days": current.days_late})
        if not current.rate_known:
            write(_("  Pénalités : non calculées, le taux de la BCE de la période manque dans la table des taux."))
        for period in current.penalties.periods:
            write(
                _("  du %(first)s au %(last)s : %(days)s j × %(principal)s à %(rate)s")
                % {
                    "first": format_date(period.first_day),
                    "last": format_date(period.last_day),
                    "days": period.days,
                    "principal": format_amount(period.principal, currency),
                    "rate": format_rate(period.rate),
                }
            )
        write(_("  Pénalités de retard : %(amount)s") % {"amount": format_amount(current.penalties.total, currency)})
        write(_("  Indemnité forfaitaire : %(amount)s") % {"amount": format_amount(current.indemnity, "EUR")})
        write(_("  Total exigible : %(amount)s") % {"amount": format_amount(current.total, currency)})
