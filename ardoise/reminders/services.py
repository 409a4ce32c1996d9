"""Reminders: which level is due for which invoice, its text, and sending it once.

An invoice gets reminders while it is issued, not a credit note, still owes
money, and is not marked « en litige ». Each level of its plan (the
customer's, else the organisation's) is due ``offset_days`` after the
reference due date: the due date of the oldest part of the schedule that is
not settled yet (for a single payment, the invoice's due date). A level is
sent at most once per invoice, and only the latest level due is sent: an
invoice found 20 days late gets the 15-day reminder, not the 7-day one too.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import holidays
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.audit.services import record
from ardoise.core.formats import format_amount, format_date
from ardoise.core.payment_terms import ScheduledPayment
from ardoise.customers.contacts import billing_recipients
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.mailing import placeholders
from ardoise.reminders import penalties
from ardoise.reminders.defaults import DEFAULT_LEVELS
from ardoise.reminders.models import (
    Channel,
    EcbRate,
    InvoiceDispute,
    Reminder,
    ReminderLevel,
    ReminderPlan,
    ReminderStatus,
)

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
# A level whose date passed more than this long ago is not sent any more: after a
# long downtime, or when reminders are first enabled, old invoices do not all get
# their formal notice at once. « Relancer maintenant » still sends any level.
CATCH_UP_WINDOW = datetime.timedelta(days=14)
# The placeholders a reminder template may use.
REMINDER_PLACEHOLDERS = (
    placeholders.CUSTOMER,
    placeholders.ORGANISATION,
    placeholders.NUMBER,
    placeholders.DATE,
    placeholders.AMOUNT,
    placeholders.BALANCE,
    placeholders.DUE_DATE,
    placeholders.DAYS_LATE,
    placeholders.PENALTIES,
    placeholders.INDEMNITY,
)


class ReminderError(Exception):
    """A reminder cannot be sent; the message is French, for the user.

    ``permanent`` is true when only a user can fix the cause (a missing
    address), so the job stops retrying. Otherwise the invoice needs no reminder
    any more.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


# Calendar


@cache
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", years=year)


def is_working_day(day: datetime.date) -> bool:
    """Tell whether ``day`` is a working day in metropolitan France: not a weekend, not a public holiday.

    NOTE: the two extra holidays of Alsace-Moselle (Good Friday, 26 December) are not counted.
    """
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def next_working_day(day: datetime.date) -> datetime.date:
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


# Plans


def organisation_plan(organisation: Organisation) -> ReminderPlan:
    """Return the organisation's plan, created with the French default levels on first use."""
    plan = ReminderPlan.objects.filter(organisation=organisation, customer__isnull=True).first()
    if plan is not None:
        return plan
    try:
        with transaction.atomic():
            plan = ReminderPlan.objects.create(organisation=organisation)
            ReminderLevel.objects.bulk_create(
                [
                    ReminderLevel(plan=plan, offset_days=offset, channel=channel, subject=str(subject), body=str(body))
                    for offset, channel, subject, body in DEFAULT_LEVELS
                ]
            )
    except IntegrityError:
        # Another process created it at the same moment.
        plan = ReminderPlan.objects.get(organisation=organisation, customer__isnull=True)
    return plan


def plan_for(invoice: Invoice) -> ReminderPlan:
    """Return the customer's own plan when it has one, else the organisation's."""
    own = ReminderPlan.objects.filter(customer_id=invoice.customer_id).first()
    return own if own is not None else organisation_plan(invoice.organisation)


def levels_of(plan: ReminderPlan) -> list[ReminderLevel]:
    return list(plan.levels.order_by("offset_days", "id"))


def is_formal_notice(level: ReminderLevel, levels: list[ReminderLevel]) -> bool:
    """Tell whether ``level`` is the formal notice (mise en demeure): the last level of its plan."""
    return bool(levels) and level.pk == levels[-1].pk


# What an invoice owes


def settlements(invoice: Invoice) -> list[tuple[datetime.date, Decimal]]:
    """Return what reduced the invoice's balance and when: payments, credit notes, minus refunds."""
    from ardoise.payments.models import Payment

    moves = [(payment.date, payment.amount) for payment in invoice.payments.all()]
    for credit_note in invoice.credit_notes.filter(status=InvoiceStatus.ISSUED):
        if credit_note.issue_date is not None:
            moves.append((credit_note.issue_date, credit_note.amount_due))
    refunds = Payment.objects.filter(invoice__credited_invoice=invoice, invoice__status=InvoiceStatus.ISSUED)
    moves.extend((refund.date, -refund.amount) for refund in refunds)
    return moves


def reference_due_date(schedule: list[ScheduledPayment], settled: Decimal) -> datetime.date | None:
    """Return the due date of the oldest part of the schedule that ``settled`` does not cover."""
    left = settled
    for part in sorted(schedule, key=lambda p: p.due_date):
        if left >= part.amount:
            left -= part.amount
            continue
        return part.due_date
    return None


def ecb_changes() -> list[penalties.RateChange]:
    return [penalties.RateChange(row.effective_from, row.rate) for row in EcbRate.objects.all()]


def penalty_rate_for(invoice: Invoice) -> Callable[[datetime.date], Decimal]:
    """Return the function giving the invoice's penalty rate for a day: its contractual rate, else the legal one."""
    if invoice.late_penalty_rate is not None:
        contractual = invoice.late_penalty_rate
        return lambda _day: contractual
    changes = ecb_changes()
    return lambda day: penalties.legal_penalty_rate(changes, day)


def is_business_customer(invoice: Invoice) -> bool:
    """Tell whether the customer was a business when the invoice was issued (the snapshot, else the customer)."""
    document = invoice.document or {}
    buyer = document.get("buyer") or {}
    if "is_company" in buyer:
        return bool(buyer["is_company"])
    return invoice.customer.is_company


@dataclass(frozen=True)
class Situation:
    """The amounts an invoice owes on ``day``: the basis of a reminder and of the penalties command."""

    invoice: Invoice
    day: datetime.date
    balance: Decimal
    due_date: datetime.date | None
    days_late: int
    late_principal: Decimal
    penalties: penalties.Penalties
    indemnity: Decimal
    rate_known: bool

    @property
    def total(self) -> Decimal:
        return self.balance + self.penalties.total + self.indemnity


def situation(invoice: Invoice, day: datetime.date) -> Situation:
    """Compute the balance, the days late, the penalties to date and the indemnity of ``invoice`` on ``day``.

    The recovery indemnity (40 €, art. D441-5) is due once per late invoice, by
    a business customer only.
    """
    schedule = invoice.scheduled_payments()
    moves = settlements(invoice)
    settled = sum((amount for _day, amount in moves if _day <= day), ZERO)
    balance = invoice.balance()
    late_principal = penalties.overdue_principal(schedule, moves, day + datetime.timedelta(days=1))
    rate_known = True
    try:
        owed = penalties.compute_penalties(schedule, moves, day, penalty_rate_for(invoice), invoice.places)
    except penalties.MissingRateError:
        owed = penalties.Penalties(ZERO, ())
        rate_known = False
    was_late = bool(owed.periods) or late_principal > 0
    indemnity = penalties.RECOVERY_INDEMNITY if was_late and is_business_customer(invoice) else ZERO
    return Situation(
        invoice=invoice,
        day=day,
        balance=balance,
        due_date=reference_due_date(schedule, settled) or invoice.due_date,
        days_late=penalties.days_late(schedule, moves, day),
        late_principal=late_principal,
        penalties=owed,
        indemnity=indemnity,
        rate_known=rate_known,
    )


# When reminders stop


def blocker(invoice: Invoice) -> str | None:
    """Return why ``invoice`` gets no reminder (French), or None when it may be reminded."""
    if invoice.status == InvoiceStatus.DRAFT:
        return _("La facture est un brouillon.")
    if invoice.is_credit_note:
        return _("Un avoir ne se relance pas.")
    if InvoiceDispute.objects.filter(invoice=invoice).exists():
        return _("La facture est en litige.")
    if invoice.is_fully_credited():
        return _("La facture est annulée par un avoir.")
    if invoice.balance() <= 0:
        return _("La facture est payée.")
    return None


# Which level is due


@dataclass(frozen=True)
class DueReminder:
    invoice: Invoice
    level: ReminderLevel
    planned_on: datetime.date
    formal_notice: bool


def planned_date(plan: ReminderPlan, due_date: datetime.date, level: ReminderLevel) -> datetime.date:
    day = due_date + datetime.timedelta(days=level.offset_days)
    return next_working_day(day) if plan.skip_non_working_days else day


def due_level(
    invoice: Invoice, plan: ReminderPlan, levels: list[ReminderLevel], sent_level_ids: set[int], day: datetime.date
) -> DueReminder | None:
    """Return the level to send for ``invoice`` on ``day``, or None.

    Only the latest level whose date has come is considered, and only when
    neither it nor a later level was sent. A level dated before the issue date
    (« 3 jours avant » an invoice due on receipt) is skipped, and so is a level
    older than the catch-up window.
    """
    if not plan.enabled or not levels or invoice.issue_date is None:
        return None
    schedule = invoice.scheduled_payments()
    if not schedule:
        return None
    settled = sum((amount for moved_on, amount in settlements(invoice) if moved_on <= day), ZERO)
    reference = reference_due_date(schedule, settled)
    if reference is None:
        return None
    reached = [(level, planned_date(plan, reference, level)) for level in levels]
    reached = [(level, planned) for level, planned in reached if planned <= day and planned > invoice.issue_date]
    if not reached:
        return None
    level, planned = reached[-1]
    if level.offset_days < 0 and day > reference:
        # A « before the due date » reminder is pointless once the date has passed.
        return None
    later_or_same = {other.pk for other in levels if other.offset_days >= level.offset_days}
    if later_or_same & sent_level_ids or planned < day - CATCH_UP_WINDOW:
        return None
    return DueReminder(invoice, level, planned, is_formal_notice(level, levels))


def candidate_invoices(day: datetime.date) -> Iterable[Invoice]:
    """Return the issued invoices that may owe a reminder on ``day``, every organisation at once.

    The filter only narrows the search: ``blocker`` decides. A level may be up
    to 60 days before the due date and up to a year after it.
    """
    from ardoise.invoicing import queries

    issued: QuerySet[Any] = queries.with_balance(Invoice.objects.filter(status=InvoiceStatus.ISSUED))
    invoices = (
        issued.exclude(type_code="381")
        .filter(
            balance_amount__gt=0,
            due_date__lte=day + datetime.timedelta(days=60),
            due_date__gte=day - datetime.timedelta(days=366 + CATCH_UP_WINDOW.days),
            dispute__isnull=True,
        )
        .select_related("organisation", "customer")
        .order_by("id")
    )
    return invoices.iterator(chunk_size=500)


def due_reminders(day: datetime.date, organisation: Organisation | None = None) -> list[DueReminder]:
    """List the automatic reminders due on ``day``, for one organisation or for all."""
    found = []
    plans: dict[tuple[int, int | None], tuple[ReminderPlan, list[ReminderLevel]]] = {}
    customer_plans = {
        plan.customer_id: plan
        for plan in ReminderPlan.objects.filter(customer__isnull=False).select_related("customer")
    }
    for invoice in candidate_invoices(day):
        if organisation is not None and invoice.organisation_id != organisation.pk:
            continue
        plan = customer_plans.get(invoice.customer_id) or organisation_plan(invoice.organisation)
        key = (plan.organisation_id, plan.customer_id)
        if key not in plans:
            plans[key] = (plan, levels_of(plan))
        plan, levels = plans[key]
        # A level sent by « Relancer maintenant » counts too: the customer already received it.
        sent = set(Reminder.objects.filter(invoice=invoice, level__isnull=False).values_list("level_id", flat=True))
        due = due_level(invoice, plan, levels, sent, day)
        if due is not None and blocker(invoice) is None:
            found.append(due)
    return found


# The text of a reminder


def template_values(invoice: Invoice, current: Situation) -> dict[str, str]:
    """Return the placeholder values of a reminder: the amounts of the invoice on the day it is sent."""
    currency = invoice.currency
    indemnity = (
        format_amount(current.indemnity, "EUR")
        if is_business_customer(invoice)
        else _("sans objet (client particulier)")
    )
    return {
        placeholders.CUSTOMER.name: invoice.customer.name,
        placeholders.ORGANISATION.name: invoice.organisation.name,
        placeholders.NUMBER.name: invoice.number,
        placeholders.DATE.name: format_date(invoice.issue_date) if invoice.issue_date else "",
        placeholders.AMOUNT.name: format_amount(invoice.total_with_vat, currency),
        placeholders.BALANCE.name: format_amount(current.balance, currency),
        placeholders.DUE_DATE.name: format_date(current.due_date) if current.due_date else "",
        placeholders.DAYS_LATE.name: str(current.days_late),
        placeholders.PENALTIES.name: format_amount(current.penalties.total, currency),
        placeholders.INDEMNITY.name: indemnity,
    }


def render_level(level_subject: str, level_body: str, invoice: Invoice, current: Situation) -> tuple[str, str]:
    values = template_values(invoice, current)
    return placeholders.render(level_subject, values), placeholders.render(level_body, values)


def recipients_of(invoice: Invoice) -> list[str]:
    """Return the addresses a reminder goes to: the billing contacts of the invoice's customer."""
    return list(billing_recipients(invoice.customer).to)


# Sending


def send_reminder(
    invoice: Invoice,
    level: ReminderLevel,
    *,
    day: datetime.date | None = None,
    manual: bool = False,
    user: Any = None,
    request: Any = None,
) -> Reminder:
    """Send one level of reminder for ``invoice``, or produce its letter, and record it in the history.

    An automatic reminder is written once per invoice and level: if it was
    already sent (or its letter produced), the existing record is returned
    unchanged. Raise ``ReminderError`` when the invoice must not be reminded or
    has no address for an e-mail.
    """
    from ardoise.reminders.letters import reminder_letter_pdf

    day = day or timezone.localdate()
    reason = blocker(invoice)
    if reason is not None:
        raise ReminderError(
            _("Pas de relance pour la facture %(number)s : %(reason)s") % {"number": invoice.number, "reason": reason}
        )
    levels = levels_of(level.plan)
    formal = is_formal_notice(level, levels)
    to = recipients_of(invoice)
    if level.channel == Channel.EMAIL and not to:
        raise ReminderError(
            _(
                "Le client « %(customer)s » n'a pas d'adresse e-mail : indiquez-la sur sa fiche, "
                "ou choisissez le canal « Lettre » pour ce niveau de relance."
            )
            % {"customer": invoice.customer.name},
            permanent=True,
        )

    reminder = _claim_record(invoice, level, formal, manual, day, user)
    if reminder.status in (ReminderStatus.SENT, ReminderStatus.LETTER):
        return reminder

    current = situation(invoice, day)
    subject, body = render_level(level.subject, level.body, invoice, current)
    letter = (
        reminder_letter_pdf(invoice, current, subject, body, formal=formal)
        if formal or level.channel == Channel.LETTER
        else None
    )
    reminder.subject, reminder.body = subject[:300], body
    reminder.principal, reminder.penalties, reminder.indemnity = (
        current.balance,
        current.penalties.total,
        current.indemnity,
    )
    reminder.letter_pdf = letter
    reminder.recipients = ", ".join(to)

    if level.channel == Channel.LETTER:
        reminder.status = ReminderStatus.LETTER
        reminder.save()
        _audit(invoice, reminder, user, request)
        return reminder

    reminder.save()
    outbound = _send_email(invoice, reminder, to, letter, user, request)
    reminder.email = outbound
    if outbound.status == "failed":
        reminder.status = ReminderStatus.FAILED
        reminder.error = outbound.error
    else:
        reminder.status = ReminderStatus.SENT
        reminder.error = ""
    reminder.save()
    _audit(invoice, reminder, user, request)
    return reminder


def _claim_record(
    invoice: Invoice, level: ReminderLevel, formal: bool, manual: bool, day: datetime.date, user: Any
) -> Reminder:
    """Create the history record before sending, or return the automatic one that exists already."""
    fields = {
        "organisation": invoice.organisation,
        "level_label": level.short_label(),
        "is_formal_notice": formal,
        "channel": level.channel,
        "planned_on": day,
        "subject": level.subject[:300],
        "body": level.body,
        "principal": ZERO,
        "penalties": ZERO,
        "indemnity": ZERO,
        "created_by": user if getattr(user, "pk", None) else None,
    }
    if manual:
        return Reminder.objects.create(invoice=invoice, level=level, manual=True, **fields)
    reminder, _created = Reminder.objects.get_or_create(invoice=invoice, level=level, manual=False, defaults=fields)
    return reminder


def _send_email(
    invoice: Invoice, reminder: Reminder, to: list[str], letter: bytes | None, user: Any, request: Any
) -> Any:
    """Send the reminder with the formal notice letter attached, or else the invoice PDF.

    The e-mail record is not linked to the invoice (``invoice=None``): the job
    that sends failed invoice e-mails again would attach the invoice in place
    of the letter. This app retries its own e-mails through the job's attempts.
    """
    from ardoise.invoicing.models import IssuedFile
    from ardoise.invoicing.presentation import invoice_filename
    from ardoise.mailing.services import send_pdf_email

    if letter is not None:
        pdf = letter
        name = _("Mise-en-demeure-%(number)s.pdf") % {"number": invoice.number}
    else:
        pdf = bytes(IssuedFile.objects.get(invoice=invoice).pdf)
        name = invoice_filename(invoice.number, "pdf", invoice.type_code)
    return send_pdf_email(
        invoice.organisation,
        to,
        reminder.subject,
        reminder.body,
        attachment_name=name,
        pdf=pdf,
        invoice=None,
        audit_object=invoice,
        user=user,
        request=request,
    )


def _audit(invoice: Invoice, reminder: Reminder, user: Any, request: Any) -> None:
    action = "reminder.formal_notice" if reminder.is_formal_notice else "reminder.sent"
    if reminder.status == ReminderStatus.FAILED:
        action = "reminder.failed"
    record(
        invoice.organisation,
        action,
        invoice,
        user=user,
        request=request,
        data={
            "level": reminder.level_label,
            "channel": reminder.channel,
            "status": reminder.status,
            "manual": reminder.manual,
            "principal": str(reminder.principal),
            "penalties": str(reminder.penalties),
            "indemnity": str(reminder.indemnity),
        },
    )
    logger.info(
        "reminder %s invoice=%s level=%s status=%s", reminder.pk, invoice.pk, reminder.level_label, reminder.status
    )


def next_manual_level(invoice: Invoice) -> ReminderLevel | None:
    """Return the level « Relancer maintenant » sends: the first level after the last one sent, else the last."""
    plan = plan_for(invoice)
    levels = [level for level in levels_of(plan) if level.offset_days >= 0] or levels_of(plan)
    if not levels:
        return None
    sent = set(Reminder.objects.filter(invoice=invoice, level__isnull=False).values_list("level_id", flat=True))
    for level in levels:
        if level.pk not in sent:
            return level
    return levels[-1]


# Disputes


def mark_disputed(invoice: Invoice, reason: str, *, user: Any = None, request: Any = None) -> InvoiceDispute:
    if invoice.is_draft or invoice.is_credit_note:
        raise ReminderError(_("Seule une facture émise peut être mise en litige."))
    with transaction.atomic():
        dispute, created = InvoiceDispute.objects.get_or_create(
            invoice=invoice,
            defaults={
                "organisation": invoice.organisation,
                "reason": reason,
                "opened_by": user if getattr(user, "pk", None) else None,
            },
        )
        if created:
            record(
                invoice.organisation, "invoice.disputed", invoice, user=user, request=request, data={"reason": reason}
            )
    return dispute


def clear_dispute(invoice: Invoice, *, user: Any = None, request: Any = None) -> None:
    with transaction.atomic():
        dispute = InvoiceDispute.objects.filter(invoice=invoice).first()
        if dispute is None:
            return
        reason = dispute.reason
        dispute.delete()
        record(
            invoice.organisation, "invoice.dispute_closed", invoice, user=user, request=request, data={"reason": reason}
        )
