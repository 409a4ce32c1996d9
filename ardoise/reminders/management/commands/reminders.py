"""``ardoise reminders due|send``: list the reminders due on a day, or send one now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.cli import USAGE_ERROR, FrenchCommand, resolve_organisation
from ardoise.core.formats import format_amount, format_date
from ardoise.reminders import services
from ardoise.reminders.cli import find_invoice, parse_day
from ardoise.reminders.models import Channel, ReminderLevel, ReminderStatus


class Command(FrenchCommand):
    help = "Relances : voir celles qui sont dues à une date, ou relancer une facture maintenant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        due = actions.add_parser("due", help="Lister les relances qui partiraient à cette date, sans rien envoyer.")
        due.add_argument("--date", metavar="AAAA-MM-JJ", help="Jour à examiner (par défaut : aujourd'hui).")
        send = actions.add_parser("send", help="Relancer une facture maintenant.")
        send.add_argument("number", metavar="NUMERO", help="Numéro de la facture, par exemple F-2026-0001.")
        send.add_argument(
            "--level",
            type=int,
            metavar="N",
            help="Niveau à envoyer, compté à partir de 1 dans le plan (par défaut : le niveau suivant).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        if options["action"] == "due":
            self.list_due(organisation, parse_day(options["date"], timezone.localdate()))
        else:
            self.send(organisation, options["number"], options["level"])

    def list_due(self, organisation: Any, day: Any) -> None:
        found = services.due_reminders(day, organisation)
        if not found:
            self.stdout.write(_("Aucune relance due le %(date)s.") % {"date": format_date(day)})
            return
        self.stdout.write(
            _("%(count)s relance(s) due(s) le %(date)s :") % {"count": len(found), "date": format_date(day)}
        )
        for due in found:
            current = services.situation(due.invoice, day)
            kind = _("mise en demeure") if due.formal_notice else due.level.get_channel_display().lower()
            self.stdout.write(
                _("  %(number)s  %(level)s  %(kind)s  %(customer)s  reste %(balance)s  (prévue le %(planned)s)")
                % {
                    "number": due.invoice.number,
                    "level": due.level.short_label(),
                    "kind": kind,
                    "customer": due.invoice.customer.name,
                    "balance": format_amount(current.balance, due.invoice.currency),
                    "planned": format_date(due.planned_on),
                }
            )

    def send(self, organisation: Any, number: str, position: int | None) -> None:
        invoice = find_invoice(organisation, number)
        level = self.level(invoice, position)
        try:
            reminder = services.send_reminder(invoice, level, manual=True)
        except services.ReminderError as error:
            raise CommandError(error.message) from None
        if reminder.status == ReminderStatus.FAILED:
            raise CommandError(_("Envoi de la relance en échec : %(error)s") % {"error": reminder.error})
        if reminder.channel == Channel.LETTER:
            self.stdout.write(
                _(
                    "Lettre de relance %(level)s produite pour la facture %(number)s : "
                    "téléchargez-la depuis la page de la facture."
                )
                % {"level": reminder.level_label, "number": invoice.number}
            )
            return
        self.stdout.write(
            _("Relance %(level)s de la facture %(number)s envoyée à %(to)s.")
            % {"level": reminder.level_label, "number": invoice.number, "to": reminder.recipients}
        )

    def level(self, invoice: Any, position: int | None) -> ReminderLevel:
        if position is None:
            level = services.next_manual_level(invoice)
            if level is None:
                raise CommandError(_("Le plan de relance de cette facture n'a aucun niveau : ajoutez-en un."))
            return level
        levels = services.levels_of(services.plan_for(invoice))
        if not 1 <= position <= len(levels):
            raise CommandError(
                _("Niveau %(level)s inconnu : le plan de relance de cette facture a %(count)s niveaux (1 à %(count)s).")
                % {"level": position, "count": len(levels)},
                returncode=USAGE_ERROR,
            )
        return levels[position - 1]
