"""Reminders found and sent by the job, through a real SMTP server on loopback.

The shared invoice is issued on Friday 4 December 2026 with 30 days: due on
Sunday 3 January 2027, 1 065,00 € TTC. The default plan reminds 3 days before,
then 7, 15 and 30 days after, moved to the next working day.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from ardoise.audit.models import AuditEntry
from ardoise.customers.models import Contact, ContactRole
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.services import issue_invoice
from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import get_job
from ardoise.jobs.services import run_due
from ardoise.payments.services import record_payment
from ardoise.reminders import services
from ardoise.reminders.models import Channel, Reminder, ReminderLevel, ReminderPlan, ReminderStatus
from ardoise.reminders.tasks import JOB_NAME

pytestmark = pytest.mark.django_db

D = datetime.date


def run_reminders(day):
    return run_due(day, [get_job(JOB_NAME)])


def level(organisation, offset):
    return ReminderLevel.objects.get(plan=services.organisation_plan(organisation), offset_days=offset)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_default_plan_has_french_levels(organisation):
    plan = services.organisation_plan(organisation)

    assert [(lvl.offset_days, lvl.channel) for lvl in services.levels_of(plan)] == [
        (-3, Channel.EMAIL),
        (7, Channel.EMAIL),
        (15, Channel.EMAIL),
        (30, Channel.EMAIL),
    ]


def test_nothing_due_before_first_level(issued_invoice):
    assert services.due_reminders(D(2026, 12, 30)) == []


def test_first_level_sent_once_three_days_before(issued_invoice, smtp):
    report = run_reminders(D(2026, 12, 31))
    again = run_reminders(D(2026, 12, 31))

    assert len(smtp.messages) == 1
    assert smtp.messages[0].rcpt_tos == ["compta@boulangerie-martin.fr"]
    message = email.message_from_bytes(smtp.messages[0].content, policy=email.policy.default)
    assert message["Subject"] == "Rappel : facture F-2026-0001 à régler le 03/01/2027"
    assert "il reste 1\u202f065,00\u00a0€ à régler".lower() in message.get_body(("plain",)).get_content().lower()
    reminder = Reminder.objects.get(invoice=issued_invoice)
    assert reminder.status == ReminderStatus.SENT
    assert reminder.level_label == "J-3"
    assert JobUnit.objects.get(job=JOB_NAME).key == "reminder:%s:%s" % (
        issued_invoice.pk,
        level(issued_invoice.organisation, -3).pk,
    )
    assert len(report.outcomes) == 1
    assert again.outcomes == []


def test_level_on_sunday_waits_for_monday(issued_invoice):
    # 3 January + 7 days = Sunday 10 January 2027.
    assert services.due_reminders(D(2027, 1, 10)) == []
    [due] = services.due_reminders(D(2027, 1, 11))

    assert due.level.offset_days == 7
    assert due.planned_on == D(2027, 1, 11)


def test_level_on_sunday_kept_when_option_off(issued_invoice):
    plan = services.organisation_plan(issued_invoice.organisation)
    plan.skip_non_working_days = False
    plan.save()

    [due] = services.due_reminders(D(2027, 1, 10))

    assert due.planned_on == D(2027, 1, 10)


def test_next_working_day_skips_french_holidays():
    # Saturday 1 May 2027 (Fête du Travail), Sunday 2 May: Monday 3 May.
    assert services.next_working_day(D(2027, 5, 1)) == D(2027, 5, 3)
    # Friday 25 December 2026 is Christmas.
    assert services.next_working_day(D(2026, 12, 25)) == D(2026, 12, 28)


def test_only_latest_due_level_is_sent(issued_invoice, smtp):
    # 20 days late: the 15-day level, not the 7-day one as well.
    run_reminders(D(2027, 1, 22))

    assert [r.level_label for r in Reminder.objects.all()] == ["J+15"]
    assert services.due_reminders(D(2027, 1, 25)) == []


def test_paid_invoice_gets_no_reminder(issued_invoice, smtp, owner):
    record_payment(issued_invoice, amount=Decimal("1065.00"), date=D(2026, 12, 5), user=owner)

    run_reminders(D(2027, 1, 11))

    assert smtp.messages == []
    assert not Reminder.objects.exists()


def test_credited_invoice_gets_no_reminder(issued_invoice, smtp):
    issue_invoice(create_credit_note(issued_invoice), today=D(2026, 12, 10))

    run_reminders(D(2027, 1, 11))

    assert smtp.messages == []
    assert not Reminder.objects.exists()


def test_reminder_goes_to_billing_contacts_only(issued_invoice, smtp):
    customer = issued_invoice.customer
    Contact.objects.create(customer=customer, name="Service comptable", email="factures@boulangerie-martin.fr")
    Contact.objects.create(
        customer=customer, name="Direction", email="direction@boulangerie-martin.fr", role=ContactRole.OTHER
    )

    run_reminders(D(2026, 12, 31))

    assert len(smtp.messages) == 1
    assert smtp.messages[0].rcpt_tos == ["factures@boulangerie-martin.fr"]


def test_disputed_invoice_gets_no_reminder_until_cleared(issued_invoice, smtp, owner):
    services.mark_disputed(issued_invoice, "Livraison contestée", user=owner)

    run_reminders(D(2027, 1, 11))
    assert smtp.messages == []

    services.clear_dispute(issued_invoice, user=owner)
    run_reminders(D(2027, 1, 11))
    assert len(smtp.messages) == 1
    actions = list(AuditEntry.objects.filter(object_id=str(issued_invoice.pk)).values_list("action", flat=True))
    assert "invoice.disputed" in actions
    assert "invoice.dispute_closed" in actions


def test_formal_notice_states_principal_penalties_and_indemnity(issued_invoice, smtp):
    # 30 days after Sunday 3 January: Tuesday 2 February 2027. Penalties from 4 January to
    # 2 February (30 days) at 12.15 % (ECB 2.15 % on 1 January 2027 + 10 points):
    # 1065 × 12.15 × 30 / 36500 = 10.6354 → 10.64 €.
    run_reminders(D(2027, 2, 2))

    reminder = Reminder.objects.get(invoice=issued_invoice)
    assert reminder.is_formal_notice
    assert reminder.principal == Decimal("1065.00")
    assert reminder.penalties == Decimal("10.64")
    assert reminder.indemnity == Decimal("40.00")
    message = email.message_from_bytes(smtp.messages[0].content, policy=email.policy.default)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "Mise-en-demeure-F-2026-0001.pdf"
    text = pdf_text(attachment.get_content())
    assert "Mise en demeure" in text
    assert "10,64" in text
    assert "40,00" in text
    assert "1 115,64".replace(" ", "\u202f") in text or "1115,64" in text.replace("\u202f", "")
    assert bytes(reminder.letter_pdf) == attachment.get_content()


def test_indemnity_follows_issued_snapshot(issued_invoice):
    customer = issued_invoice.customer
    customer.kind = "individual"
    customer.save()

    # The buyer was a company when the invoice was issued, and that snapshot wins.
    assert services.situation(issued_invoice, D(2027, 2, 2)).indemnity == Decimal("40.00")


def test_individual_customer_owes_no_indemnity(draft_invoice):
    from ardoise.invoicing.services import issue_invoice

    customer = draft_invoice.customer
    customer.kind = "individual"
    customer.save()
    invoice = issue_invoice(draft_invoice, today=D(2026, 12, 4))

    current = services.situation(invoice, D(2027, 2, 2))

    assert current.indemnity == Decimal("0.00")
    assert current.penalties.total == Decimal("10.64")


def test_letter_channel_produces_pdf_without_email(issued_invoice, smtp):
    seven = level(issued_invoice.organisation, 7)
    seven.channel = Channel.LETTER
    seven.save()

    run_reminders(D(2027, 1, 11))

    reminder = Reminder.objects.get(invoice=issued_invoice)
    assert reminder.status == ReminderStatus.LETTER
    assert smtp.messages == []
    assert "Relance" in pdf_text(bytes(reminder.letter_pdf))


def test_customer_plan_overrides_organisation_plan(issued_invoice):
    plan = ReminderPlan.objects.create(organisation=issued_invoice.organisation, customer=issued_invoice.customer)
    ReminderLevel.objects.create(plan=plan, offset_days=1, subject="Relance {numero}", body="Payez {reste_a_payer}.")

    [due] = services.due_reminders(D(2027, 1, 4))

    assert due.level.plan == plan
    assert due.formal_notice


def test_customer_without_email_fails_permanently(issued_invoice, smtp):
    customer = issued_invoice.customer
    customer.email = ""
    customer.save()

    report = run_reminders(D(2026, 12, 31))

    unit = JobUnit.objects.get(job=JOB_NAME)
    assert unit.status == "failed"
    assert "n'a pas d'adresse e-mail" in unit.error
    assert len(report.failed) == 1


def test_manual_reminder_sends_next_level(issued_invoice, smtp, owner):
    first = services.send_reminder(
        issued_invoice, services.next_manual_level(issued_invoice), manual=True, user=owner, day=D(2027, 1, 5)
    )
    second = services.send_reminder(
        issued_invoice, services.next_manual_level(issued_invoice), manual=True, user=owner, day=D(2027, 1, 6)
    )

    assert (first.level_label, second.level_label) == ("J+7", "J+15")
    assert len(smtp.messages) == 2


def test_manual_level_not_sent_again_automatically(issued_invoice, smtp, owner):
    seven = level(issued_invoice.organisation, 7)
    services.send_reminder(issued_invoice, seven, manual=True, user=owner, day=D(2027, 1, 8))

    run_reminders(D(2027, 1, 11))

    assert len(smtp.messages) == 1
    assert services.due_reminders(D(2027, 1, 19)) != []


def test_run_scheduled_sends_what_is_due(issued_invoice, smtp):
    call_command("run-scheduled", "--date", "2026-12-31", "--job", JOB_NAME, stdout=io.StringIO())

    assert len(smtp.messages) == 1
