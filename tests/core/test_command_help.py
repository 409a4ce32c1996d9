"""The help of every ``ardoise`` command is French, and explains each option it shows."""

from __future__ import annotations

import argparse

import pytest
from django.core.management import get_commands, load_command_class

from ardoise.core.cli import FrenchCommand

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


def test_every_command_is_listed():
    names = {name for _app, name in ardoise_commands()}

    assert {"invoice", "report", "payment", "bank", "worker"} <= names


@pytest.mark.parametrize(("app", "name"), ardoise_commands(), ids=lambda value: value)
def test_help_is_french_and_explains_every_option(app, name):
    for parser in parsers(load_command_class(app, name).create_parser("ardoise", name)):
        text = parser.format_help()

        assert text.startswith("Utilisation : ardoise %s" % name)
        assert not [word for word in ENGLISH if word in text], parser.prog
        assert "--traceback" not in text
        unexplained = [
            action.option_strings[-1] for action in parser._actions if action.option_strings and action.help is None
        ]
        assert unexplained == [], parser.prog
