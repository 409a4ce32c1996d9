"""The ``ardoise`` command: Django's manage.py for an installed Ardoise."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
    # Commands print their own results; keep the log for warnings and errors.
    os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import execute_from_command_line, get_commands

    if len(sys.argv) > 1 and not sys.argv[1].startswith("-") and sys.argv[1] != "help":
        django.setup()
        if sys.argv[1] not in get_commands():
            sys.stderr.write(
                "Erreur : commande inconnue « %s ». Tapez « ardoise help » pour la liste des commandes.\n" % sys.argv[1]
            )
            sys.exit(1)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
