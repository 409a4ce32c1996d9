"""Background work after a customer's decision on a quote: notify the business, invoice the deposit.

Both jobs find their work in the database: a decision whose business e-mail
has not gone out (``business_notified_at`` empty), and an online acceptance
whose quote requests an automatic deposit and has no deposit invoice yet. The
portal starts their units right after the decision commits; the periodic
sweep takes what a crash left undone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.accounts.models import Membership, Organisation, Role
from ardoise.core.formats import format_amount
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.templatetags.ardoise_formats import datetime_fr
from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import DueUnit, Job, PermanentFailure, TemporaryFailure, register
from ardoise.mailing.models import DeliveryStatus
from ardoise.portal.models import Decision, QuoteDecision
from ardoise.quotes.billing_models import BillingKind, QuoteInvoice

NOTIFY_BUSINESS = "portal.notify_business"
AUTO_DEPOSIT = "portal.auto_deposit"


def _before_end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


# The business's e-mail


def notify_key(decision_id: int) -> str:
    return "decision:%s" % decision_id


def _notify_unit(decision: QuoteDecision) -> DueUnit:
    return DueUnit(
        key=notify_key(decision.pk),
        label=_("Avis à l'entreprise : devis %(number)s %(decision)s en ligne")
        % {"number": decision.quote.number, "decision": decision.get_decision_display().lower()},
        organisation_id=decision.organisation_id,
        object_id=decision.pk,
    )


def find_unnotified(day: datetime.date) -> Iterator[DueUnit]:
    """List the decisions made up to ``day`` whose e-mail to the business has not gone out."""
    decisions = QuoteDecision.objects.filter(business_notified_at__isnull=True, decided_at__lt=_before_end_of(day))
    for decision in decisions.select_related("quote").order_by("pk"):
        yield _notify_unit(decision)


def business_recipients(organisation: Organisation) -> list[str]:
    """Return the organisation's e-mail address, or its owners' addresses when it has none."""
    if organisation.email:
        return [organisation.email]
    owners = Membership.objects.filter(organisation=organisation, role=Role.OWNER).select_related("user")
    return [membership.user.email for membership in owners.order_by("pk") if membership.user.email]


def notification_text(decision: QuoteDecision) -> tuple[str, str]:
    """Write the subject and body of the e-mail that informs the business of the customer's decision."""
    quote = decision.quote
    values = {
        "number": quote.number,
        "name": decision.name or _("Le client"),
        "customer": quote.customer.name,
        "amount": format_amount(quote.total_with_vat, quote.currency),
        "when": datetime_fr(decision.decided_at),
    }
    if decision.is_accepted:
        subject = _("Devis %(number)s accepté en ligne par %(name)s") % values
        opening = _(
            "%(name)s a accepté en ligne le devis %(number)s de %(customer)s, d'un montant de %(amount)s TTC, "
            "le %(when)s."
        )
    else:
        subject = _("Devis %(number)s refusé en ligne") % values
        opening = _("%(name)s a refusé en ligne le devis %(number)s de %(customer)s, le %(when)s.")
    paragraphs = [_("Bonjour,"), opening % values]
    if decision.comment:
        paragraphs.append(_("Commentaire du client : %(comment)s") % {"comment": decision.comment})
    paragraphs.append(
        _(
            "Preuve enregistrée : adresse IP %(ip)s, navigateur « %(agent)s », empreinte SHA-256 du PDF du devis "
            "%(digest)s (ce PDF est joint)."
        )
        % {"ip": decision.ip_address or "—", "agent": decision.user_agent or "—", "digest": decision.pdf_sha256}
    )
    if decision.is_accepted and quote.auto_deposit_on_acceptance and quote.deposit_percent:
        paragraphs.append(
            _("Comme demandé sur le devis, la facture d'acompte est créée et envoyée au client automatiquement.")
        )
    paragraphs.append(_("Voir le devis : %(url)s") % {"url": settings.BASE_URL + quote.get_absolute_url()})
    return subject, "\n\n".join(paragraphs)


def notify_business(unit: JobUnit) -> str:
    """Send the business the e-mail of a decision, unless it went out already."""
    from ardoise.mailing.services import send_pdf_email

    decision = QuoteDecision.objects.select_related("quote", "quote__customer", "organisation").filter(
        pk=unit.object_id or 0
    )
    found = decision.first()
    if found is None:
        return _("La décision n'existe plus : rien à envoyer.")
    if found.business_notified_at is not None:
        return _("Déjà envoyé : rien à faire.")
    recipients = business_recipients(found.organisation)
    if not recipients:
        raise PermanentFailure(
            _("L'entreprise n'a pas d'adresse e-mail : indiquez-la dans « Entreprise », puis relancez la tâche.")
        )
    subject, body = notification_text(found)
    outbound = send_pdf_email(
        found.organisation,
        recipients,
        subject,
        body,
        attachment_name="%s-%s.pdf" % (_("Devis"), found.quote.number),
        pdf=found.quote.issued_pdf(),
        quote=found.quote,
        audit_object=found.quote,
    )
    if outbound.status == DeliveryStatus.FAILED:
        raise TemporaryFailure(outbound.error)
    found.business_notified_at = timezone.now()
    found.save(update_fields=["business_notified_at"])
    return _("Envoyé à %(to)s.") % {"to": outbound.to}


NOTIFY_BUSINESS_JOB = register(
    Job(
        name=NOTIFY_BUSINESS,
        label=gettext_lazy("Avis à l'entreprise des devis acceptés ou refusés en ligne"),
        find_due=find_unnotified,
        run=notify_business,
        max_attempts=8,
    )
)


# The automatic deposit invoice


def deposit_key(quote_id: int) -> str:
    return "deposit:%s" % quote_id


def _deposit_unit(decision: QuoteDecision) -> DueUnit:
    return DueUnit(
        key=deposit_key(decision.quote_id),
        label=_("Facture d'acompte du devis %(number)s accepté en ligne") % {"number": decision.quote.number},
        organisation_id=decision.organisation_id,
        object_id=decision.pk,
    )


def _deposits_to_make() -> QuerySet[QuoteDecision]:
    has_deposit = Exists(QuoteInvoice.objects.filter(quote=OuterRef("quote"), kind=BillingKind.DEPOSIT))
    return QuoteDecision.objects.filter(
        decision=Decision.ACCEPTED,
        quote__auto_deposit_on_acceptance=True,
        quote__deposit_percent__isnull=False,
    ).exclude(has_deposit)


def find_deposits(day: datetime.date) -> Iterator[DueUnit]:
    """List the online acceptances up to ``day`` whose quote requests a deposit invoice not made yet."""
    decisions = _deposits_to_make().filter(decided_at__lt=_before_end_of(day))
    for decision in decisions.select_related("quote").order_by("pk"):
        yield _deposit_unit(decision)


def make_deposit(unit: JobUnit) -> str:
    """Issue and e-mail the deposit invoice of an accepted quote, unless the quote already has one."""
    from ardoise.quotes.billing import create_deposit_on_acceptance
    from ardoise.quotes.models import Quote

    decision = QuoteDecision.objects.filter(pk=unit.object_id or 0).first()
    if decision is None or not decision.is_accepted:
        return _("Aucune acceptance en ligne : rien à facturer.")
    with transaction.atomic():
        # Locked, so that a deposit made by hand at the same moment is seen before a second one is made.
        quote = Quote.objects.select_for_update().get(pk=decision.quote_id)
        existing = QuoteInvoice.objects.filter(quote=quote, kind=BillingKind.DEPOSIT).select_related("invoice").first()
        if existing is not None:
            return _("Le devis a déjà sa facture d'acompte (%(invoice)s) : rien à faire.") % {
                "invoice": existing.invoice
            }
        try:
            invoice = create_deposit_on_acceptance(quote)
        except InvoicingError as error:
            reasons = " ".join([error.message, *error.details])
            raise PermanentFailure(
                _("La facture d'acompte n'a pas pu être émise : %(reason)s Corrigez ce point, puis relancez la tâche.")
                % {"reason": reasons}
            ) from error
    if invoice is None:
        return _("Le devis ne demande plus d'acompte automatique : rien à facturer.")
    return _("Facture d'acompte %(number)s émise ; son envoi au client suit.") % {"number": invoice.number}


AUTO_DEPOSIT_JOB = register(
    Job(
        name=AUTO_DEPOSIT,
        label=gettext_lazy("Factures d'acompte des devis acceptés en ligne"),
        find_due=find_deposits,
        run=make_deposit,
    )
)


def start_units(decision_id: int) -> None:
    """Create the follow-up units of a decision that was just committed, and hand them to the queue."""
    from ardoise.jobs.services import add_units
    from ardoise.jobs.tasks import run_unit

    decision = QuoteDecision.objects.select_related("quote").filter(pk=decision_id).first()
    if decision is None:
        return
    today = timezone.localdate()
    planned = [(NOTIFY_BUSINESS_JOB, _notify_unit(decision))]
    if _deposits_to_make().filter(pk=decision.pk).exists():
        planned.append((AUTO_DEPOSIT_JOB, _deposit_unit(decision)))
    for job, due in planned:
        add_units(job, [due], today)
        units = JobUnit.objects.filter(job=job.name, key=due.key)
        unit_id = units.values_list("pk", flat=True).first()
        if unit_id is None:
            continue
        # Marked as handed to the queue, so that the next sweep does not queue it a second time.
        units.update(enqueued_at=timezone.now())
        run_unit(unit_id)
