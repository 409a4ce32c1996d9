"""``ardoise import customers|products FILE``: the import of the UI, with the same checks, from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.audit.models import AuditSource
from ardoise.core.cli import USAGE_ERROR, FrenchCommand, os_error_reason, resolve_organisation
from ardoise.imports.services import ImportRejected, analyse, import_rows
from ardoise.imports.tables import Table, TableFileError, read_table
from ardoise.imports.targets import CUSTOMERS, PRODUCTS, Target, guess_mapping, plain

TARGETS = {"customers": CUSTOMERS, "products": PRODUCTS}


class Command(FrenchCommand):
    help = "Importer des clients ou des articles depuis un fichier CSV ou XLSX, avec les contrôles de la saisie."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        parser.add_argument(
            "what", choices=sorted(TARGETS), metavar="customers|products", help="Ce qu'il faut importer."
        )
        parser.add_argument(
            "file", metavar="FICHIER", help="Fichier CSV ou XLSX, une ligne de titres puis une ligne par fiche."
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="CHAMP=COLONNE",
            help="Colonne d'un champ, par son titre ou son numéro (1 pour la première), par exemple --map siren=3.",
        )
        parser.add_argument(
            "--only-valid", action="store_true", help="Importer les lignes valides et ignorer les autres."
        )
        parser.add_argument("--dry-run", action="store_true", help="Vérifier le fichier sans rien enregistrer.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        target = TARGETS[options["what"]]
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Impossible de lire « %(path)s » : %(reason)s.") % {"path": path, "reason": os_error_reason(error)}
            ) from None
        try:
            table = read_table(data, path.name)
        except TableFileError as error:
            raise CommandError(str(error)) from None
        mapping = guess_mapping(target, table.header)
        mapping.update(self.explicit_mapping(target, table, options["map"]))

        analysis = analyse(organisation, target, table, mapping)
        if analysis.missing_columns:
            raise CommandError(
                _("Aucune colonne pour : %(columns)s. Indiquez-la avec --map, par exemple --map name=1.")
                % {"columns": ", ".join(analysis.missing_columns)},
                returncode=USAGE_ERROR,
            )
        for row in analysis.invalid:
            self.stdout.write(_("Ligne %(line)s : %(errors)s") % {"line": row.line, "errors": " ".join(row.errors)})
        summary = _("%(rows)s ligne(s) lue(s) : %(valid)s valide(s), %(invalid)s en erreur.") % {
            "rows": len(analysis.rows),
            "valid": len(analysis.valid),
            "invalid": len(analysis.invalid),
        }
        self.stdout.write(summary)
        if options["dry_run"]:
            if analysis.invalid:
                raise CommandError(_("Vérification seule : rien n'a été importé, corrigez les lignes en erreur."))
            return
        try:
            created = import_rows(
                organisation,
                target,
                table,
                mapping,
                only_valid=options["only_valid"],
                filename=path.name,
                source=AuditSource.CLI,
            )
        except ImportRejected as error:
            raise CommandError(
                _("Rien n'a été importé. %(reason)s Option : --only-valid.") % {"reason": error}
            ) from None
        self.stdout.write(_("%(count)s fiche(s) importée(s).") % {"count": created})

    def explicit_mapping(self, target: Target, table: Table, values: list[str]) -> dict[str, int | None]:
        names = {column.name for column in target.columns}
        titles = [plain(title) for title in table.header]
        mapping: dict[str, int | None] = {}
        for value in values:
            field, _separator, column = value.partition("=")
            if field not in names or not column:
                raise CommandError(
                    _("--map « %(value)s » : écrivez CHAMP=COLONNE avec un champ parmi %(fields)s.")
                    % {"value": value, "fields": ", ".join(sorted(names))},
                    returncode=USAGE_ERROR,
                )
            if column.isdigit() and 1 <= int(column) <= len(table.header):
                mapping[field] = int(column) - 1
            elif plain(column) in titles:
                mapping[field] = titles.index(plain(column))
            else:
                raise CommandError(
                    _("--map « %(value)s » : le fichier n'a pas de colonne « %(column)s ». Colonnes : %(titles)s.")
                    % {"value": value, "column": column, "titles": " | ".join(table.header)},
                    returncode=USAGE_ERROR,
                )
        return mapping
