"""Options shared by the backup commands: where the passphrase comes from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.backups.services import environment_passphrase


def add_passphrase_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        metavar="FICHIER",
        help="Fichier dont la première ligne est la phrase secrète de chiffrement "
        "(sinon la variable ARDOISE_BACKUP_PASSPHRASE).",
    )


def read_passphrase(options: dict[str, Any]) -> str | None:
    """Return the passphrase of --passphrase-file, else of ARDOISE_BACKUP_PASSPHRASE, else None."""
    name = options.get("passphrase_file")
    if not name:
        return environment_passphrase()
    try:
        lines = Path(name).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        raise CommandError(
            _("Le fichier de phrase secrète « %(path)s » est introuvable ou illisible.") % {"path": name}
        ) from None
    passphrase = lines[0].strip() if lines else ""
    if not passphrase:
        raise CommandError(
            _("Le fichier de phrase secrète « %(path)s » est vide : écrivez la phrase sur sa première ligne.")
            % {"path": name}
        )
    return passphrase
