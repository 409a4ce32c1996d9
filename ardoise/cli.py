"""The ``ardoise`` command: Django's manage.py for an installed Ardoise."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
    # Commands print their own results; keep the log for warnings and errors.
    os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
