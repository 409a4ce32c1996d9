"""``ardoise restore FILE [--replace]``: restore a backup archive into this installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.backups.cli import add_passphrase_argument, read_passphrase
from ardoise.backups.errors import BackupError
from ardoise.backups.restore import restore_archive
from ardoise.core.cli import FrenchCommand


class Command(FrenchCommand):
    help = (
        "Restaurer une archive de sauvegarde dans une installation vide, ou avec --replace à la place des "
        "données actuelles (après une sauvegarde de sécurité)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FICHIER", help="L'archive à restaurer (.tar.gz ou .tar.gz.enc).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Remplacer les données actuelles, après en avoir fait une sauvegarde de sécurité.",
        )
        add_passphrase_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        passphrase = read_passphrase(options)
        try:
            restored = restore_archive(Path(options["file"]), passphrase, replace=options["replace"])
        except BackupError as error:
            raise CommandError(error.message) from None
        if restored.safety_backup is not None:
            self.stdout.write(
                _("Sauvegarde de sécurité des données remplacées : %(path)s") % {"path": restored.safety_backup}
            )
        counts = restored.manifest["counts"]
        self.stdout.write(
            _("Restauration terminée : %(tables)s tables, %(rows)s lignes, sauvegarde du %(created)s.")
            % {"tables": len(counts), "rows": sum(counts.values()), "created": restored.manifest["created_at"]}
        )
        self.stdout.write(_("Lancez « ardoise verify » pour contrôler la chaîne d'intégrité des factures."))
