"""``ardoise worker``: the Huey consumer that runs the scheduled jobs, until Ctrl+C."""

from __future__ import annotations

import logging
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connections
from django.utils.translation import gettext as _
from huey.consumer_options import ConsumerConfig

from ardoise.core.cli import FrenchCommand

WORKER_TYPES = ("thread", "process")


class Command(FrenchCommand):
    help = (
        "Lancer le worker qui exécute les tâches planifiées (e-mails à renvoyer…) jusqu'à Ctrl+C. "
        "Lancez-en un par machine : ils se partagent le travail sans le faire deux fois."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = huey_settings()["consumer"]
        parser.add_argument(
            "--workers",
            type=int,
            metavar="NOMBRE",
            default=defaults["workers"],
            help="Nombre de tâches exécutées en parallèle (par défaut : %(default)s).",
        )
        parser.add_argument(
            "--worker-type",
            choices=WORKER_TYPES,
            default=defaults["worker_type"],
            help="Exécuter les tâches dans des threads ou des processus (par défaut : %(default)s).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Ne pas chercher chaque minute le travail dû : ce worker exécute seulement ce que la file lui donne.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from huey.contrib.djhuey import HUEY

        if options["workers"] < 1:
            raise CommandError(
                _("--workers %(value)s invalide : indiquez au moins 1.") % {"value": options["workers"]},
                returncode=2,
            )
        config = ConsumerConfig(
            workers=options["workers"], worker_type=options["worker_type"], periodic=not options["no_periodic"]
        )
        config.validate()
        if options["verbosity"] >= 2:
            logging.getLogger("huey").setLevel(logging.INFO)
            logging.getLogger("ardoise").setLevel(logging.INFO)

        # Process workers are forked: they must not share the parent's database connections.
        connections.close_all()
        self.stdout.write(
            _("Worker Ardoise démarré : %(count)s %(kind)s, file d'attente %(queue)s. Ctrl+C pour arrêter.")
            % {
                "count": options["workers"],
                "kind": _("threads") if options["worker_type"] == "thread" else _("processus"),
                "queue": describe_queue(),
            }
        )
        HUEY.create_consumer(**config.values).run()
        self.stdout.write(_("Worker arrêté."))


def describe_queue() -> str:
    """Name the queue storage for the start-up line, without the Redis password."""
    if settings.REDIS_URL:
        parts = urlsplit(settings.REDIS_URL)
        host = parts.hostname or "127.0.0.1"
        port = ":%s" % parts.port if parts.port else ""
        return "Redis %s%s%s" % (host, port, parts.path)
    return "SQLite %s" % huey_settings()["filename"]


def huey_settings() -> dict[str, Any]:
    return cast(dict[str, Any], settings.HUEY)
