"""``ardoise import-organisation FILE --owner EMAIL``: create an exported organisation in this installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.audit.models import AuditSource
from ardoise.audit.services import record
from ardoise.backups.errors import BackupError
from ardoise.backups.portability import import_organisation
from ardoise.core.cli import FrenchCommand


class Command(FrenchCommand):
    help = (
        "Importer l'export ZIP d'une entreprise venant d'une autre installation Ardoise : les documents émis "
        "gardent leur numéro et leur PDF, la chaîne d'intégrité est reconstruite et vérifiée."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FICHIER", help="Le fichier ZIP écrit par « ardoise export-organisation ».")
        parser.add_argument(
            "--owner",
            required=True,
            metavar="EMAIL",
            help="E-mail du propriétaire de l'entreprise importée ; le compte est créé s'il n'existe pas.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            imported = import_organisation(Path(options["file"]), options["owner"])
        except BackupError as error:
            raise CommandError(error.message) from None
        record(
            imported.organisation,
            "organisation.imported",
            None,
            source=AuditSource.CLI,
            data={"file": Path(options["file"]).name},
        )
        self.stdout.write(
            _(
                "Entreprise « %(name)s » importée : %(documents)s documents, %(customers)s clients, "
                "%(payments)s paiements."
            )
            % {
                "name": imported.organisation.name,
                "documents": imported.counts.get("documents", 0),
                "customers": imported.counts.get("customers", 0),
                "payments": imported.counts.get("payments", 0),
            }
        )
        self.stdout.write(_("Chaîne d'intégrité reconstruite et vérifiée."))
        if imported.password:
            self.stdout.write(
                _("Compte propriétaire créé pour %(email)s. Notez ce mot de passe : %(password)s")
                % {"email": imported.owner.email, "password": imported.password}
            )
