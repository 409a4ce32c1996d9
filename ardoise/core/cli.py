"""Shared pieces of the ``ardoise`` subcommands: French help and errors, organisation lookup."""

from __future__ import annotations

import argparse
import datetime
import errno
import re
import sys
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter
from django.utils import translation
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.core.forms import parse_date

# The exit status of a command typed wrong, as argparse gives it.
USAGE_ERROR = 2

# argparse has no French catalogue: translate the usage errors users can meet.
ARGPARSE_ERRORS = [
    (re.compile(r"the following arguments are required: (.+, .+)"), "Arguments obligatoires manquants : %s."),
    (re.compile(r"the following arguments are required: (.+)"), "Argument obligatoire manquant : %s."),
    (re.compile(r"unrecognized arguments: (.+ .+)"), "Arguments inconnus : %s."),
    (re.compile(r"unrecognized arguments: (.+)"), "Argument inconnu : %s."),
    (
        re.compile(r"argument (-.+?): invalid choice: (.+?) \(choose from (.+)\)"),
        "Option %s : valeur %s invalide, choisissez parmi %s.",
    ),
    (
        re.compile(r"argument (.+?): invalid choice: (.+?) \(choose from (.+)\)"),
        "%s : valeur %s invalide, choisissez parmi %s.",
    ),
    (re.compile(r"argument (.+?): invalid int value: (.+)"), "%s doit être un nombre entier, pas %s."),
    (re.compile(r"argument (.+?): invalid (\w+) value: (.+)"), "Option %s : valeur %s invalide (%s)."),
    (re.compile(r"argument (.+?): expected one argument"), "Option %s : une valeur est attendue."),
    (re.compile(r"argument (.+?): not allowed with argument (.+)"), "Les options %s et %s s'excluent : gardez-en une."),
    (re.compile(r"one of the arguments (.+) is required"), "Indiquez l'une de ces options : %s."),
]


def os_error_reason(error: OSError) -> str:
    """Say in French why a file could not be read or written; the system's own text is English."""
    reasons = {
        errno.ENOENT: _("fichier ou dossier introuvable"),
        errno.EISDIR: _("c'est un dossier, pas un fichier"),
        errno.ENOTDIR: _("un élément du chemin n'est pas un dossier"),
        errno.EACCES: _("accès refusé"),
        errno.EPERM: _("opération non permise"),
        errno.ENOSPC: _("plus de place sur le disque"),
        errno.EROFS: _("disque en lecture seule"),
    }
    return str(reasons.get(error.errno, error.strerror or error.__class__.__name__))


def parse_cli_date(raw: str, option: str) -> datetime.date:
    """Parse a date option typed as 2026-12-04 or 04/12/2026, as the forms do.

    An invalid date raises a usage error that names the option, the value and the problem: the
    format, a day missing from the calendar (2026-02-31) or a year out of range.
    """
    try:
        return parse_date(raw)
    except ValidationError as error:
        if error.code == "format":
            # The forms suggest JJ/MM/AAAA only; the command line documents AAAA-MM-JJ first.
            message = _("date « %(value)s » invalide, écrivez-la AAAA-MM-JJ ou JJ/MM/AAAA, par exemple 2026-12-04.") % {
                "value": raw
            }
        else:
            # The message follows the option's name after a colon, so it starts in lower case.
            sentence = error.messages[0]
            message = sentence[:1].lower() + sentence[1:]
        raise CommandError("%s : %s" % (option, message), returncode=USAGE_ERROR) from None


# argparse quotes values the English way: 'pdf'.
QUOTED_VALUE = re.compile(r"'([^']*)'")


def translate_usage_error(message: str) -> str:
    for pattern, french in ARGPARSE_ERRORS:
        match = pattern.search(message)
        if match:
            return QUOTED_VALUE.sub(r"« \1 »", french % match.groups())
    return message


# French help of the options that argparse and Django describe in English, by destination.
# SUPPRESS hides the option from the help.
FRENCH_HELP = {
    "help": "Afficher cette aide et quitter.",
    "verbosity": "Quantité de messages affichés : 0 (le minimum) à 3 (tout le détail).",
    "skip_checks": argparse.SUPPRESS,
}


class FrenchHelpFormatter(DjangoHelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Utilisation : " if prefix is None else prefix)


class FrenchCommandParser(CommandParser):
    def error(self, message: str) -> NoReturn:
        if getattr(self, "called_from_command_line", False):
            self.print_usage(sys.stderr)
            self.exit(USAGE_ERROR, "Erreur : %s\n" % translate_usage_error(message))
        raise CommandError(translate_usage_error(message))


def _speak_french(parser: argparse.ArgumentParser) -> None:
    """Switch a parser built by BaseCommand, and its subcommand parsers, to French help and errors."""
    parser.__class__ = FrenchCommandParser
    parser.formatter_class = FrenchHelpFormatter
    parser._positionals.title = "arguments"
    parser._optionals.title = "options"
    for action in parser._actions:
        if action.dest in FRENCH_HELP:
            action.help = FRENCH_HELP[action.dest]
        if isinstance(action, argparse._SubParsersAction):
            # An action's summary appears in its parent's list, and again at the top of its own help.
            summaries = {choice.dest: choice.help for choice in action._choices_actions}
            for name, subparser in action.choices.items():
                if subparser.description is None and summaries.get(name):
                    subparser.description = summaries[name]
                _speak_french(subparser)


class FrenchCommand(BaseCommand):
    """A command whose help is French and whose errors print as « Erreur : … » and exit non-zero."""

    # Django's developer options are hidden from the help but still accepted, --traceback included.
    suppressed_base_arguments = {
        "--version",
        "--settings",
        "--pythonpath",
        "--traceback",
        "--no-color",
        "--force-color",
    }

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _speak_french(parser)
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        from ardoise.audit.services import running_command

        with translation.override("fr"), running_command(self.command_line(options)):
            try:
                return super().execute(*args, **options)
            except CommandError as error:
                if options.get("traceback") or not getattr(self, "_called_from_command_line", False):
                    raise
                self.stderr.write(_("Erreur : %(message)s") % {"message": error})
                sys.exit(error.returncode)

    def command_line(self, options: dict[str, Any]) -> str:
        """Name the command for the audit log, e.g. "ardoise invoice issue", without its arguments."""
        words = ["ardoise", self.__module__.rsplit(".", 1)[-1]]
        if isinstance(options.get("action"), str):
            words.append(options["action"])
        return " ".join(words)


def resolve_organisation(value: str | None) -> Organisation:
    """Find the organisation named by ``--organisation`` (SIREN or id), or the only one."""
    organisations = Organisation.objects.order_by("id")
    if value:
        found = organisations.filter(siren=value).first()
        if found is None and value.isdigit():
            found = organisations.filter(pk=int(value)).first()
        if found is None:
            raise CommandError(
                _("Aucune entreprise ne correspond à « %(value)s » : indiquez son SIREN ou son identifiant.")
                % {"value": value}
            )
        return found
    count = organisations.count()
    if count == 0:
        raise CommandError(_("Aucune entreprise n'est configurée : lancez d'abord « ardoise setup »."))
    if count > 1:
        raise CommandError(_("Plusieurs entreprises existent : précisez laquelle avec --organisation SIREN."))
    return organisations.get()
