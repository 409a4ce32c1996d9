"""The ``ardoise`` command: Django's manage.py for an installed Ardoise."""

import os
import sys
import textwrap

HELP_WORDS = {"help", "-h", "--help"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
    # Commands print their own results; keep the log for warnings and errors.
    os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import execute_from_command_line, get_commands

    arguments = sys.argv[1:]
    if not arguments or (len(arguments) == 1 and arguments[0] in HELP_WORDS):
        django.setup()
        sys.stdout.write(overview())
        return
    first = arguments[0]
    if first.startswith("-") and first not in HELP_WORDS and first != "--version":
        sys.stderr.write(
            "Erreur : « %s » se place après le nom de la commande, par exemple « ardoise invoice %s … ».\n"
            % (first, first)
        )
        sys.exit(1)
    if not first.startswith("-") and first != "help":
        django.setup()
        if first not in get_commands():
            sys.stderr.write(
                "Erreur : commande inconnue « %s ». Tapez « ardoise help » pour la liste des commandes.\n" % first
            )
            sys.exit(1)
    execute_from_command_line(sys.argv)


def overview() -> str:
    """Return the French list of Ardoise's own commands, each with the first sentence of its help."""
    # Imported here because the command modules need Django set up first.
    from django.core.management import get_commands, load_command_class

    from ardoise.core.cli import FrenchCommand

    rows = []
    for name, app in sorted(get_commands().items()):
        if not app.startswith("ardoise."):
            continue
        command = load_command_class(app, name)
        if isinstance(command, FrenchCommand):
            rows.append((name, str(command.help).split(". ")[0].rstrip(".")))
    width = max(len(name) for name, _summary in rows)
    lines = ["Utilisation : ardoise COMMANDE [ACTION] [options]", "", "Commandes :"]
    for name, summary in rows:
        lead = "  %s  " % name.ljust(width)
        lines.append(textwrap.fill(summary, 100, initial_indent=lead, subsequent_indent=" " * len(lead)))
    lines += [
        "",
        "« ardoise COMMANDE --help » détaille une commande, ses actions et ses options.",
        "Les commandes de Django (migrate, shell, createsuperuser…) restent disponibles :",
        "« ardoise help --commands » les liste toutes.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
