"""``ardoise export fec|journal``: write the FEC of a fiscal year, check a FEC file, or write a journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounting import fec
from ardoise.accounting.entries import AccountingError, build_entries
from ardoise.accounting.layouts import GENERIC, LAYOUT_CHOICES, QUADRA, journal_file
from ardoise.accounting.services import export_fec
from ardoise.audit.models import AuditSource
from ardoise.audit.services import record
from ardoise.core.cli import USAGE_ERROR, FrenchCommand, os_error_reason, parse_cli_date, resolve_organisation

# The first fiscal year an invoice can be in, to catch a mistyped year such as 226.
FIRST_YEAR = 1990


class Command(FrenchCommand):
    help = "Exporter la comptabilité : fichier des écritures comptables (FEC) d'un exercice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="EXPORT")
        fec_parser = actions.add_parser(
            "fec", help="Fichier des écritures comptables d'un exercice, ou contrôle d'un FEC."
        )
        action = fec_parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--year", type=int, metavar="AAAA", help="Année de clôture de l'exercice, par exemple 2026."
        )
        action.add_argument(
            "--check", metavar="FICHIER", help="Contrôler la structure et l'équilibre d'un fichier FEC."
        )
        fec_parser.add_argument(
            "--output",
            metavar="DOSSIER",
            default=".",
            help="Dossier où écrire le FEC (par défaut : le dossier courant).",
        )
        fec_parser.add_argument(
            "--encoding",
            choices=fec.ENCODINGS,
            default="iso-8859-15",
            help="Encodage du fichier (ISO 8859-15 par défaut).",
        )
        journal = actions.add_parser("journal", help="Journal des écritures d'une période, en CSV ou XLSX.")
        journal.add_argument("--from", dest="start", required=True, metavar="AAAA-MM-JJ", help="Premier jour.")
        journal.add_argument("--to", dest="end", required=True, metavar="AAAA-MM-JJ", help="Dernier jour.")
        journal.add_argument(
            "--layout",
            choices=[name for name, _label in LAYOUT_CHOICES],
            default=GENERIC,
            help="Présentation : ardoise (colonnes titrées, par défaut) ou quadra (fichier ASCII de Cegid Quadra).",
        )
        journal.add_argument(
            "--format", choices=("csv", "xlsx"), help="Format du fichier de la présentation ardoise (csv par défaut)."
        )
        journal.add_argument("--output", required=True, metavar="FICHIER", help="Fichier à écrire.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "journal":
            self.write_journal(options)
            return
        if options["check"]:
            self.check_file(Path(options["check"]))
            return
        organisation = resolve_organisation(options["organisation"])
        year = options["year"]
        if year < FIRST_YEAR:
            raise CommandError(
                _(
                    "--year %(year)s : indiquez l'année de clôture de l'exercice sur quatre chiffres, "
                    "par exemple %(example)s."
                )
                % {"year": year, "example": timezone.localdate().year},
                returncode=USAGE_ERROR,
            )
        if year > timezone.localdate().year + 1:
            raise CommandError(
                _(
                    "--year %(year)s : cet exercice n'a pas encore commencé. Indiquez l'année de sa clôture, "
                    "par exemple %(example)s."
                )
                % {"year": year, "example": timezone.localdate().year},
                returncode=USAGE_ERROR,
            )
        folder = Path(options["output"])
        if not folder.is_dir():
            raise CommandError(
                _("Le dossier « %(folder)s » n'existe pas : créez-le ou choisissez-en un autre avec --output.")
                % {"folder": folder}
            )
        try:
            export = export_fec(organisation, year, encoding=options["encoding"])
        except AccountingError as error:
            raise CommandError(str(error)) from None
        path = folder / export.filename
        path.write_bytes(export.content)
        if not export.entries:
            self.stderr.write(
                _(
                    "Attention : aucune facture ni aucun encaissement sur cet exercice, "
                    "le FEC ne contient que l'en-tête."
                )
            )
        record(organisation, "fec.exported", data={"year": year, "file": export.filename}, source=AuditSource.CLI)
        self.stdout.write(
            _("%(path)s : %(entries)s écriture(s), %(lines)s ligne(s), exercice du %(start)s au %(end)s.")
            % {
                "path": path,
                "entries": export.entries,
                "lines": export.lines,
                "start": export.year.start.strftime("%d/%m/%Y"),
                "end": export.year.end.strftime("%d/%m/%Y"),
            }
        )

    def check_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Impossible de lire « %(path)s » : %(reason)s.") % {"path": path, "reason": os_error_reason(error)}
            ) from None
        report = fec.check(data, path.name)
        for problem in report.problems:
            self.stdout.write(problem)
        summary = _("%(entries)s écriture(s), %(lines)s ligne(s), débit %(debit)s, crédit %(credit)s.") % {
            "entries": report.entries,
            "lines": report.lines,
            "debit": fec.format_amount(report.debit),
            "credit": fec.format_amount(report.credit),
        }
        if report.ok:
            self.stdout.write(_("FEC conforme : %(summary)s") % {"summary": summary})
            return
        raise CommandError(
            _("%(count)s problème(s) dans %(name)s. %(summary)s")
            % {"count": len(report.problems), "name": path.name, "summary": summary}
        )

    def write_journal(self, options: dict[str, Any]) -> None:
        start = parse_cli_date(options["start"], "--from")
        end = parse_cli_date(options["end"], "--to")
        if end < start:
            raise CommandError(
                _("--to %(end)s est avant --from %(start)s : inversez les deux dates.")
                % {"start": options["start"], "end": options["end"]},
                returncode=USAGE_ERROR,
            )
        if options["layout"] == QUADRA and options["format"]:
            raise CommandError(
                _("--format %(format)s ne s'applique pas à --layout quadra, qui écrit un fichier texte : retirez-le.")
                % {"format": options["format"]},
                returncode=USAGE_ERROR,
            )
        organisation = resolve_organisation(options["organisation"])
        try:
            entries = build_entries(organisation, start, end)
            written = journal_file(entries, options["layout"], options["format"] or "csv")
        except AccountingError as error:
            raise CommandError(str(error)) from None
        path = Path(options["output"])
        try:
            path.write_bytes(written.content)
        except OSError as error:
            raise CommandError(
                _("Impossible d'écrire « %(path)s » : %(reason)s.") % {"path": path, "reason": os_error_reason(error)}
            ) from None
        self.stdout.write(
            _("%(path)s : %(entries)s écriture(s), %(lines)s ligne(s).")
            % {"path": path, "entries": len(entries), "lines": written.lines}
        )
