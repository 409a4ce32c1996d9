"""``ardoise export-organisation``: write one organisation's data as a ZIP of CSV and JSON files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.audit.models import AuditSource
from ardoise.audit.services import record
from ardoise.backups.portability import export_file_name, export_organisation
from ardoise.core.cli import FrenchCommand, resolve_organisation


class Command(FrenchCommand):
    help = (
        "Exporter les données d'une entreprise (clients, articles, factures avec PDF et XML, paiements, "
        "paramètres) dans un fichier ZIP de CSV et JSON, importable dans une autre installation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        parser.add_argument(
            "--output", metavar="FICHIER", help="Fichier ZIP à écrire (par défaut dans le dossier courant)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        path = Path(options["output"] or export_file_name(organisation))
        data = export_organisation(organisation)
        try:
            path.write_bytes(data)
        except OSError as error:
            raise CommandError(
                _("Impossible d'écrire « %(path)s » : %(error)s. Choisissez un autre fichier avec --output.")
                % {"path": path, "error": error.strerror or error}
            ) from None
        record(organisation, "organisation.exported", None, source=AuditSource.CLI, data={"file": path.name})
        self.stdout.write(_("Export écrit : %(path)s (%(size)s octets).") % {"path": path, "size": len(data)})
