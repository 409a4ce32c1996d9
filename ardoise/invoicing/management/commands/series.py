"""``ardoise series``: list, add, edit and delete the numbering series of an organisation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.core.numbering import RESET_POLICIES
from ardoise.invoicing import series as series_services
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import NumberingSeries

RESET_HELP = "yearly : chaque année ; monthly : chaque mois ; never : jamais."


class Command(FrenchCommand):
    help = "Lister, créer, modifier et supprimer les séquences de numérotation des factures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        actions.add_parser("list", help="Afficher les séquences et le prochain numéro de chacune.")

        adding = actions.add_parser("add", help="Créer une séquence.")
        adding.add_argument("name", metavar="NOM", help="Nom de la séquence, par exemple « Formations ».")
        adding.add_argument(
            "--pattern", required=True, metavar="MODELE", help="Modèle de numéro, par exemple FO-{YYYY}-{NNNN}."
        )
        adding.add_argument(
            "--reset", required=True, choices=RESET_POLICIES, help="Remise à zéro du compteur : " + RESET_HELP
        )
        adding.add_argument("--default", action="store_true", help="En faire la séquence par défaut.")

        editing = actions.add_parser(
            "edit", help="Modifier une séquence (le modèle et la remise à zéro sont figés dès le premier numéro)."
        )
        editing.add_argument("name", metavar="NOM", help="Nom actuel de la séquence.")
        editing.add_argument("--rename", metavar="NOUVEAU_NOM", help="Nouveau nom.")
        editing.add_argument("--pattern", metavar="MODELE", help="Nouveau modèle de numéro.")
        editing.add_argument("--reset", choices=RESET_POLICIES, help="Nouvelle remise à zéro : " + RESET_HELP)
        editing.add_argument("--default", action="store_true", help="En faire la séquence par défaut.")

        deleting = actions.add_parser(
            "delete", help="Supprimer une séquence qui n'a jamais numéroté de facture et n'est pas celle par défaut."
        )
        deleting.add_argument("name", metavar="NOM", help="Nom de la séquence.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        handler = getattr(self, "handle_%s" % options["action"])
        handler(organisation, options)

    def handle_list(self, organisation: Any, options: dict[str, Any]) -> None:
        rows = [
            (
                series.name + (" *" if series.is_default else ""),
                series.pattern,
                str(series.get_reset_display()),
                series_services.next_number(series),
                _("oui") if series.is_used() else _("non"),
            )
            for series in NumberingSeries.objects.filter(organisation=organisation)
        ]
        if not rows:
            self.stdout.write(_("Aucune séquence : la première facture émise créera la séquence « Factures »."))
            return
        header = (_("Nom"), _("Modèle"), _("Remise à zéro"), _("Prochain numéro"), _("Utilisée"))
        widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        self.stdout.write(_("* séquence par défaut"))

    def handle_add(self, organisation: Any, options: dict[str, Any]) -> None:
        series = NumberingSeries(
            organisation=organisation,
            name=options["name"],
            pattern=options["pattern"],
            reset=options["reset"],
            is_default=options["default"],
        )
        self._save(series)
        self.stdout.write(
            _("Séquence « %(name)s » créée : prochain numéro %(number)s.")
            % {"name": series.name, "number": series_services.next_number(series)}
        )

    def handle_delete(self, organisation: Any, options: dict[str, Any]) -> None:
        series = find_series(organisation, options["name"])
        try:
            series_services.delete_series(series)
        except InvoicingError as error:
            raise CommandError(error.message) from None
        self.stdout.write(_("Séquence « %(name)s » supprimée.") % {"name": series.name})

    def handle_edit(self, organisation: Any, options: dict[str, Any]) -> None:
        series = find_series(organisation, options["name"])
        if options["rename"] is not None:
            series.name = options["rename"]
        if options["pattern"] is not None:
            series.pattern = options["pattern"]
        if options["reset"] is not None:
            series.reset = options["reset"]
        if options["default"]:
            series.is_default = True
        self._save(series)
        self.stdout.write(
            _("Séquence « %(name)s » enregistrée : prochain numéro %(number)s.")
            % {"name": series.name, "number": series_services.next_number(series)}
        )

    def _save(self, series: NumberingSeries) -> None:
        try:
            series_services.save_series(series)
        except InvoicingError as error:
            raise CommandError(error.message) from None


def find_series(organisation: Any, name: str) -> NumberingSeries:
    series = NumberingSeries.objects.filter(organisation=organisation, name=name).first()
    if series is None:
        raise CommandError(
            _("Aucune séquence nommée « %(name)s » : « ardoise series list » affiche les séquences existantes.")
            % {"name": name}
        )
    return series
