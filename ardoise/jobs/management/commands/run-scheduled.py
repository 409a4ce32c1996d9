"""``ardoise run-scheduled [--date YYYY-MM-DD] [--job NAME]``: run now, in this process, what is due on a day.

For installs without a worker (run it from cron every few minutes) and for
tests. It claims units the same way the worker does, so it can run while
workers run.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ardoise.core.cli import USAGE_ERROR, FrenchCommand, parse_cli_date
from ardoise.core.formats import format_date
from ardoise.invoicing.templatetags.ardoise_formats import datetime_fr
from ardoise.jobs.models import RunStatus
from ardoise.jobs.registry import Job, all_jobs, get_job
from ardoise.jobs.services import Outcome, SweepReport, run_due


class Command(FrenchCommand):
    help = (
        "Exécuter maintenant tout ce qui est dû à une date (e-mails à renvoyer…), sans worker : "
        "à lancer par cron toutes les quelques minutes, ou pour rattraper un jour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", metavar="AAAA-MM-JJ", help="Jour à traiter (par défaut : aujourd'hui, heure de Paris)."
        )
        parser.add_argument(
            "--job", metavar="NOM", help="Ne traiter que cette tâche, par exemple mailing.retry_failed."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = parse_cli_date(options["date"], "--date") if options["date"] else timezone.localdate()
        jobs = [find_job(options["job"])] if options["job"] else all_jobs()

        report = run_due(day, jobs)

        self.write_report(day, report)
        failures = len(report.failed) + len(report.discovery_errors)
        if failures:
            raise CommandError(
                ngettext("%(count)s tâche en échec.", "%(count)s tâches en échec.", failures) % {"count": failures}
            )

    def write_report(self, day: datetime.date, report: SweepReport) -> None:
        if not report.outcomes and not report.discovery_errors:
            self.stdout.write(_("Aucune tâche à exécuter pour le %(date)s.") % {"date": format_date(day)})
            return
        if report.outcomes:
            self.stdout.write(summary_line(report))
        for outcome in report.outcomes:
            self.stdout.write(outcome_line(outcome))
        for name, error in report.discovery_errors.items():
            job = get_job(name)
            self.stdout.write(
                _("  ✗ %(job)s : impossible de lister le travail dû : %(error)s")
                % {"job": job.label if job else name, "error": error}
            )


def find_job(name: str) -> Job:
    job = get_job(name)
    if job is None:
        names = ", ".join(job.name for job in all_jobs())
        raise CommandError(
            _("Tâche « %(name)s » inconnue : choisissez parmi %(names)s.") % {"name": name, "names": names},
            returncode=USAGE_ERROR,
        )
    return job


def summary_line(report: SweepReport) -> str:
    count = len(report.outcomes)
    failed = len(report.failed)
    succeeded = count - failed
    head = ngettext("%(count)s tâche exécutée", "%(count)s tâches exécutées", count) % {"count": count}
    parts = [
        ngettext("%(count)s réussie", "%(count)s réussies", succeeded) % {"count": succeeded},
        ngettext("%(count)s en échec", "%(count)s en échec", failed) % {"count": failed},
    ]
    return "%s : %s." % (head, ", ".join(parts))


def outcome_line(outcome: Outcome) -> str:
    job = get_job(outcome.unit.job)
    values: dict[str, Any] = {
        "job": job.label if job else outcome.unit.job,
        "unit": outcome.unit.label,
        "text": outcome.text,
    }
    if outcome.status == RunStatus.SUCCEEDED:
        return _("  ✓ %(job)s — %(unit)s : %(text)s") % values
    if outcome.will_retry:
        values["retry"] = datetime_fr(outcome.unit.run_after)
        return _("  ✗ %(job)s — %(unit)s : %(text)s (nouvel essai après le %(retry)s)") % values
    values["attempts"] = outcome.unit.attempts
    return (
        ngettext(
            "  ✗ %(job)s — %(unit)s : %(text)s (abandonnée après %(attempts)s tentative)",
            "  ✗ %(job)s — %(unit)s : %(text)s (abandonnée après %(attempts)s tentatives)",
            outcome.unit.attempts,
        )
        % values
    )
