"""The help of every ``ardoise`` command is French, and explains each option it shows."""

from __future__ import annotations

import argparse

import pytest
from django.core.management import get_commands, load_command_class

from ardoise import cli
from ardoise.core.cli import FrenchCommand, translate_usage_error

ENGLISH = ("usage:", "positional arguments", "show this help", "Verbosity level", "settings module", "Skip system")


def ardoise_commands() -> list[tuple[str, str]]:
    found = []
    for name, app in sorted(get_commands().items()):
        if app.startswith("ardoise.") and isinstance(load_command_class(app, name), FrenchCommand):
            found.append((app, name))
    return found


def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Return the parser and the parsers of its actions, at any depth."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in dict.fromkeys(action.choices.values()):
                found.extend(parsers(subparser))
    return found


def test_action_help_starts_with_summary():
    parser = load_command_class("ardoise.reports", "report").create_parser("ardoise", "report")

    [actions] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    text = actions.choices["aging"].format_help()

    assert text.split("\n\n")[1].startswith("Balance âgée : soldes par ancienneté")


def test_every_command_is_listed():
    names = {name for _app, name in ardoise_commands()}

    assert {"invoice", "report", "payment", "bank", "worker"} <= names


@pytest.mark.parametrize(("app", "name"), ardoise_commands(), ids=lambda value: value)
def test_help_french_and_complete(app, name):
    for parser in parsers(load_command_class(app, name).create_parser("ardoise", name)):
        text = parser.format_help()

        assert text.startswith("Utilisation : ardoise %s" % name)
        assert not [word for word in ENGLISH if word in text], parser.prog
        assert "--traceback" not in text
        unexplained = [
            action.option_strings[-1] if action.option_strings else action.metavar or action.dest
            for action in parser._actions
            if action.help is None and not isinstance(action, argparse._SubParsersAction)
        ]
        assert unexplained == [], parser.prog


@pytest.mark.parametrize("arguments", [[], ["help"], ["--help"]])
def test_overview_lists_commands_in_french(arguments, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["ardoise", *arguments])

    cli.main()

    text = capsys.readouterr().out
    assert text.startswith("Utilisation : ardoise COMMANDE [ACTION] [options]\n\nCommandes :\n")
    assert "  invoice " in text
    assert "Importer, émettre, exporter, créditer et afficher des factures" in text
    assert "startapp" not in text
    assert "Available subcommands" not in text


def test_option_before_command_is_explained(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["ardoise", "--traceback", "invoice", "show", "F-2026-0001"])

    with pytest.raises(SystemExit) as exit_info:
        cli.main()

    assert exit_info.value.code == 1
    assert "« --traceback » se place après le nom de la commande" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("the following arguments are required: ID", "Argument obligatoire manquant : ID."),
        (
            "the following arguments are required: NUMERO, MONTANT, --date",
            "Arguments obligatoires manquants : NUMERO, MONTANT, --date.",
        ),
        ("unrecognized arguments: --vite", "Argument inconnu : --vite."),
        ("unrecognized arguments: un deux", "Arguments inconnus : un deux."),
        (
            "argument --format: invalid choice: 'pdf' (choose from 'table', 'csv')",
            "Option --format : valeur « pdf » invalide, choisissez parmi « table », « csv ».",
        ),
        (
            "argument RAPPORT: invalid choice: 'bilan' (choose from 'aging', 'vat')",
            "RAPPORT : valeur « bilan » invalide, choisissez parmi « aging », « vat ».",
        ),
        ("argument --workers: invalid int value: 'deux'", "--workers doit être un nombre entier, pas « deux »."),
    ],
)
def test_usage_errors_in_french(english, french):
    assert translate_usage_error(english) == french
