"""The reminder job: each due level of each unpaid invoice, sent once.

The unit key ``reminder:<invoice id>:<level id>`` and the unique constraint on
automatic reminders (invoice, level) make each level go out at most once per
invoice, whichever worker or ``ardoise run-scheduled`` finds it.

NOTE: e-mail delivery is at least once, as for invoice e-mails: a worker killed
after the SMTP server accepted the message but before the reminder was marked
« envoyée » sends it again when the unit is retaken.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core.formats import format_date
from ardoise.invoicing.models import Invoice
from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import Backoff, DueUnit, Job, PermanentFailure, TemporaryFailure, register
from ardoise.reminders.models import ReminderLevel, ReminderStatus
from ardoise.reminders.services import ReminderError, due_reminders, send_reminder

JOB_NAME = "reminders.send"


def reminder_key(invoice_id: int, level_id: int) -> str:
    return "reminder:%s:%s" % (invoice_id, level_id)


def find_due_reminders(day: datetime.date) -> Iterator[DueUnit]:
    for due in due_reminders(day):
        yield DueUnit(
            key=reminder_key(due.invoice.pk, due.level.pk),
            label=_("Relance %(level)s de la facture %(number)s (prévue le %(date)s)")
            % {"level": due.level.short_label(), "number": due.invoice.number, "date": format_date(due.planned_on)},
            organisation_id=due.invoice.organisation_id,
            object_id=due.invoice.pk,
        )


def run_reminder(unit: JobUnit) -> str:
    _prefix, invoice_id, level_id = unit.key.split(":")
    invoice = Invoice.objects.select_related("organisation", "customer").filter(pk=int(invoice_id)).first()
    level = ReminderLevel.objects.select_related("plan").filter(pk=int(level_id)).first()
    if invoice is None or level is None:
        return _("Plus rien à envoyer : la facture ou le niveau de relance a été supprimé.")
    try:
        reminder = send_reminder(invoice, level, day=unit.due_on)
    except ReminderError as error:
        if error.permanent:
            raise PermanentFailure(error.message) from None
        # The invoice was paid, credited or disputed in the meantime: nothing to do.
        return error.message
    if reminder.status == ReminderStatus.FAILED:
        raise TemporaryFailure(_("Envoi de la relance en échec : %(error)s") % {"error": reminder.error})
    if reminder.status == ReminderStatus.LETTER:
        return _("Lettre de relance %(level)s prête à imprimer.") % {"level": reminder.level_label}
    return _("Relance %(level)s envoyée à %(to)s.") % {"level": reminder.level_label, "to": reminder.recipients}


register(
    Job(
        name=JOB_NAME,
        label=gettext_lazy("Relances des factures impayées"),
        find_due=find_due_reminders,
        run=run_reminder,
        max_attempts=6,
        backoff=Backoff(first=datetime.timedelta(minutes=5), factor=2, maximum=datetime.timedelta(hours=2)),
    )
)
