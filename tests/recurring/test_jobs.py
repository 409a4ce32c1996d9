"""The recurring jobs run through run_due, as ``ardoise run-scheduled --date`` and the worker do."""

from __future__ import annotations

import datetime
from decimal import Decimal

import time_machine
from django.core.management import call_command

from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.jobs.models import JobUnit, UnitStatus
from ardoise.jobs.services import run_due
from ardoise.mailing.models import DeliveryStatus, OutboundEmail
from ardoise.recurring.models import RecurringOccurrence
from ardoise.recurring.services import generate_occurrence, pause, resume
from ardoise.recurring.tasks import GENERATE_JOB, SEND_JOB, run_send
from tests.recurring.conftest import make_plan

JOBS = [GENERATE_JOB, SEND_JOB]


def run_on(day: datetime.date):
    # 10:00 in Paris on ``day``: « today » is the day of the run, as in production.
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=datetime.UTC), tick=False):
        return run_due(day, JOBS)


def issued(plan):
    return list(Invoice.objects.filter(recurring_occurrence__plan=plan, status=InvoiceStatus.ISSUED).order_by("number"))


def test_plan_on_31st_catches_up_once(plan):
    report = run_on(datetime.date(2027, 4, 30))
    assert not report.failed
    dates = list(plan.occurrences.order_by("date").values_list("date", flat=True))
    assert dates == [
        datetime.date(2027, 1, 31),
        datetime.date(2027, 2, 28),
        datetime.date(2027, 3, 31),
        datetime.date(2027, 4, 30),
    ]
    invoices = issued(plan)
    assert [invoice.number for invoice in invoices] == ["F-2027-0001", "F-2027-0002", "F-2027-0003", "F-2027-0004"]
    # Caught-up invoices are issued today, with their own date as the date of service.
    assert {invoice.issue_date for invoice in invoices} == {datetime.date(2027, 4, 30)}
    assert sorted(invoice.delivery_date for invoice in invoices if invoice.delivery_date) == dates[:3]
    assert all(invoice.amount_due == Decimal("120.00") for invoice in invoices)

    # The same day again, then the next day: nothing more.
    assert not run_on(datetime.date(2027, 4, 30)).outcomes
    run_on(datetime.date(2027, 5, 1))
    assert plan.occurrences.count() == 4
    assert JobUnit.objects.filter(job=GENERATE_JOB.name).count() == 4
    plan.refresh_from_db()
    assert plan.next_date == datetime.date(2027, 5, 31)


def test_start_equal_to_end_gives_one_invoice(organisation, customer):
    day = datetime.date(2027, 3, 15)
    plan = make_plan(organisation, customer, start_date=day, end_date=day)
    run_on(day)
    run_on(datetime.date(2028, 3, 15))
    assert len(issued(plan)) == 1
    plan.refresh_from_db()
    assert plan.next_date is None


def test_draft_plan_sends_nothing(organisation, customer):
    plan = make_plan(organisation, customer, auto_issue=False, start_date=datetime.date(2027, 1, 10))
    run_on(datetime.date(2027, 2, 10))
    occurrences = list(plan.occurrences.select_related("invoice"))
    assert len(occurrences) == 2
    assert all(occurrence.invoice.is_draft for occurrence in occurrences)
    assert not OutboundEmail.objects.exists()


def test_send_once_in_same_run(organisation, customer, settings):
    plan = make_plan(organisation, customer, auto_send=True, start_date=datetime.date(2027, 1, 10))
    report = run_on(datetime.date(2027, 2, 10))
    assert not report.failed
    emails = list(OutboundEmail.objects.order_by("pk"))
    assert len(emails) == 2
    assert {email.invoice_id for email in emails} == {invoice.pk for invoice in issued(plan)}
    assert all(email.status in (DeliveryStatus.SENT, DeliveryStatus.WRITTEN) for email in emails)
    assert all(email.to == customer.email for email in emails)
    assert JobUnit.objects.filter(job=SEND_JOB.name, status=UnitStatus.DONE).count() == 2
    run_on(datetime.date(2027, 2, 11))
    assert OutboundEmail.objects.count() == 2


def test_interrupted_send_resent_and_flagged(organisation, customer):
    plan = make_plan(organisation, customer, auto_send=True, start_date=datetime.date(2027, 1, 10))
    day = datetime.date(2027, 1, 10)
    with time_machine.travel(datetime.datetime(2027, 1, 10, 9, 0, tzinfo=datetime.UTC), tick=False):
        run_due(day, JOBS)
        occurrence = plan.occurrences.get()
        email = OutboundEmail.objects.get()
        # Make it look like a worker died after writing the record, before marking it « sent ».
        OutboundEmail.objects.filter(pk=email.pk).update(status=DeliveryStatus.QUEUED)
        RecurringOccurrence.objects.filter(pk=occurrence.pk).update(email=None)
        unit = JobUnit.objects.get(job=SEND_JOB.name)
        summary = run_send(unit)
    occurrence.refresh_from_db()
    email.refresh_from_db()
    assert "deux fois" in summary
    assert occurrence.email_resent is True
    assert occurrence.email_id == email.pk
    assert email.status in (DeliveryStatus.SENT, DeliveryStatus.WRITTEN)
    assert OutboundEmail.objects.count() == 1


def test_send_without_customer_email(organisation, customer):
    plan = make_plan(organisation, customer, auto_send=True, start_date=datetime.date(2027, 1, 10))
    customer.email = ""
    customer.siren = "552081317"
    customer.save()
    report = run_on(datetime.date(2027, 1, 10))
    assert len(issued(plan)) == 1
    [failure] = report.failed
    assert "n'a pas d'adresse e-mail" in failure.text


def test_unissuable_draft_keeps_reason(organisation, customer):
    customer.address_line1 = ""
    customer.save()
    plan = make_plan(organisation, customer, start_date=datetime.date(2027, 1, 10))
    report = run_on(datetime.date(2027, 1, 10))
    [failure] = report.failed
    assert "adresse de facturation" in failure.text
    assert plan.occurrences.get().invoice.is_draft
    assert not Invoice.objects.filter(status=InvoiceStatus.ISSUED).exists()


def test_generating_twice_creates_one_occurrence(plan):
    day = datetime.date(2027, 1, 31)
    first = generate_occurrence(plan.pk, day, day)
    second = generate_occurrence(plan.pk, day, day)
    assert first.created and not second.created
    assert second.occurrence.pk == first.occurrence.pk
    assert RecurringOccurrence.objects.count() == 1


def test_pause_skips_its_dates(plan):
    run_on(datetime.date(2027, 1, 31))
    pause(plan)
    run_on(datetime.date(2027, 3, 31))
    assert plan.occurrences.count() == 1
    resume(plan, today=datetime.date(2027, 4, 15))
    plan.refresh_from_db()
    assert plan.next_date == datetime.date(2027, 4, 30)
    run_on(datetime.date(2027, 4, 30))
    assert list(plan.occurrences.order_by("date").values_list("date", flat=True)) == [
        datetime.date(2027, 1, 31),
        datetime.date(2027, 4, 30),
    ]


def test_yearly_revision_applies_on_each_anniversary(organisation, customer):
    plan = make_plan(
        organisation,
        customer,
        frequency="yearly",
        start_date=datetime.date(2027, 1, 15),
        revision_percent=Decimal("2.5"),
    )
    run_on(datetime.date(2029, 1, 15))
    prices = [
        occurrence.invoice.lines.get().unit_price
        for occurrence in plan.occurrences.order_by("date").select_related("invoice")
    ]
    assert prices == [Decimal("100.00"), Decimal("102.50"), Decimal("105.06")]


def test_run_scheduled_generates_issues_and_sends(organisation, customer, capsys):
    plan = make_plan(organisation, customer, auto_send=True, start_date=datetime.date(2027, 1, 10))
    with time_machine.travel(datetime.datetime(2027, 1, 10, 9, 0, tzinfo=datetime.UTC), tick=False):
        call_command("run-scheduled", "--date", "2027-01-10")
        call_command("run-scheduled", "--date", "2027-01-10")
    assert len(issued(plan)) == 1
    assert OutboundEmail.objects.count() == 1
