"""``ardoise backup [--output DIR]`` and ``ardoise backup verify FILE``: write or check a backup archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ardoise.backups.cli import add_passphrase_argument, read_passphrase
from ardoise.backups.errors import BackupError
from ardoise.backups.models import BackupKind
from ardoise.backups.restore import verify_archive
from ardoise.backups.services import run_backup
from ardoise.core.cli import FrenchCommand


class Command(FrenchCommand):
    help = (
        "Sauvegarder toute l'installation (base de données, fichiers, manifeste) dans une archive, "
        "ou vérifier une archive avec « ardoise backup verify FICHIER »."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["verify"], help="verify : vérifier une archive existante.")
        parser.add_argument("file", nargs="?", metavar="FICHIER", help="L'archive à vérifier (avec verify).")
        parser.add_argument(
            "--output", metavar="DOSSIER", help="Dossier où écrire l'archive (par défaut ARDOISE_BACKUP_DIR)."
        )
        add_passphrase_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        passphrase = read_passphrase(options)
        if options["action"] == "verify":
            if not options["file"]:
                raise CommandError(_("Indiquez l'archive à vérifier : ardoise backup verify FICHIER."))
            self.verify(Path(options["file"]), passphrase)
            return
        if options["file"]:
            raise CommandError(
                _("Argument inconnu : %(value)s. Pour choisir le dossier, utilisez --output DOSSIER.")
                % {"value": options["file"]}
            )
        output = Path(options["output"]) if options["output"] else None
        run = run_backup(BackupKind.MANUAL, output=output, passphrase=passphrase)
        if run.error:
            raise CommandError(_("La sauvegarde a échoué : %(error)s") % {"error": run.error})
        self.stdout.write(
            _("Sauvegarde écrite : %(path)s (%(size)s%(encrypted)s).")
            % {
                "path": run.path,
                "size": filesizeformat(run.size or 0),
                "encrypted": _(", chiffrée") if run.encrypted else "",
            }
        )

    def verify(self, path: Path, passphrase: str | None) -> None:
        try:
            report = verify_archive(path, passphrase)
        except BackupError as error:
            raise CommandError(error.message) from None
        manifest = report.manifest
        self.stdout.write(
            _("Archive « %(name)s » : Ardoise %(version)s, base %(engine)s, créée le %(created)s%(encrypted)s.")
            % {
                "name": path.name,
                "version": manifest["version"],
                "engine": manifest["engine"],
                "created": manifest["created_at"],
                "encrypted": _(", chiffrée") if report.encrypted else "",
            }
        )
        self.stdout.write(_("Empreintes SHA-256 : %(count)s éléments conformes.") % {"count": len(manifest["members"])})
        for message in report.database_errors:
            self.stdout.write(_("Base de données : %(message)s") % {"message": message})
        if not report.database_errors:
            self.stdout.write(_("Base de données : contrôle d'intégrité réussi."))
        for message in report.count_errors:
            self.stdout.write(message)
        if report.chain_output:
            self.stdout.write(_("Chaîne d'intégrité des factures :"))
            self.stdout.write(report.chain_output)
        if not report.ok:
            raise CommandError(_("L'archive « %(name)s » n'a pas passé la vérification.") % {"name": path.name})
        self.stdout.write(_("Archive vérifiée : elle peut servir à une restauration."))
