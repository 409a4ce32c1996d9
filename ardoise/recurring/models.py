"""Recurring plans (« abonnements ») and the invoices they generated, one per occurrence date."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ardoise.recurring import schedule


class Frequency(models.TextChoices):
    WEEKLY = schedule.WEEKLY, _("Toutes les semaines")
    MONTHLY = schedule.MONTHLY, _("Tous les mois")
    QUARTERLY = schedule.QUARTERLY, _("Tous les trimestres")
    YEARLY = schedule.YEARLY, _("Tous les ans")


# The unit of one period, for « toutes les 2 semaines ».
PERIOD_NAMES = {
    schedule.WEEKLY: _("semaines"),
    schedule.MONTHLY: _("mois"),
    schedule.QUARTERLY: _("trimestres"),
    schedule.YEARLY: _("ans"),
}

MAX_INTERVAL = 99
MAX_OCCURRENCES = 1200


class RecurringPlan(models.Model):
    """A plan that invoices a customer the same lines at regular dates.

    The lines and the invoice options live on ``template``, a draft invoice that
    is never issued and is hidden from the invoice screens: the invoice editor,
    its forms and its services work on it unchanged. Each occurrence copies it
    into a new draft.

    ``next_index`` and ``next_date`` name the first occurrence not generated yet
    (``next_date`` is None once the plan has ended); they are derived from the
    schedule and the occurrences, and only make the sweep's query cheap.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="recurring_plans")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="recurring_plans", verbose_name=_("client")
    )
    template = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="recurring_template", editable=False
    )
    name = models.CharField(
        _("nom de l'abonnement"),
        max_length=120,
        help_text=_("Pour vous retrouver, par exemple « Maintenance du site »"),
    )
    frequency = models.CharField(_("fréquence"), max_length=10, choices=Frequency, default=Frequency.MONTHLY)
    interval = models.PositiveSmallIntegerField(
        _("toutes les N périodes"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_INTERVAL)],
        help_text=_("1 pour chaque période, 2 pour une période sur deux…"),
    )
    start_date = models.DateField(_("date de la première facture"))
    end_date = models.DateField(
        _("date de fin (incluse)"), null=True, blank=True, help_text=_("Laissez vide pour un abonnement sans fin.")
    )
    occurrences_limit = models.PositiveIntegerField(
        _("nombre de factures"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_OCCURRENCES)],
        help_text=_("Ou une date de fin. Laissez vide pour un abonnement sans fin."),
    )
    auto_issue = models.BooleanField(
        _("émettre automatiquement"),
        default=True,
        help_text=_("Sinon, chaque facture est préparée en brouillon, à vérifier et émettre vous-même."),
    )
    auto_send = models.BooleanField(
        _("envoyer automatiquement par e-mail"),
        default=False,
        help_text=_("Chaque facture émise est envoyée une fois à l'adresse e-mail du client."),
    )
    revision_percent = models.DecimalField(
        _("révision annuelle des prix (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("-50")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "Appliquée à chaque date anniversaire de la première facture, en cumul : 2,5 donne +2,5 % "
            "la deuxième année, +5,06 % la troisième. 0 pour des prix fixes."
        ),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    next_index = models.PositiveIntegerField(default=0, editable=False)
    next_date = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "next_date"], name="recurring_plan_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="recurring_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("recurring:detail", args=[self.pk])

    @property
    def rule(self) -> schedule.Rule:
        return schedule.Rule(
            frequency=self.frequency,
            interval=self.interval,
            start=self.start_date,
            end=self.end_date,
            count=self.occurrences_limit,
        )

    @property
    def period_label(self) -> str:
        if self.interval == 1:
            return str(self.get_frequency_display())
        return str(
            _("Tous les %(count)s %(period)s") % {"count": self.interval, "period": PERIOD_NAMES[self.frequency]}
        )

    def upcoming(self, count: int = 6) -> list[datetime.date]:
        """Return the next ``count`` dates still to generate."""
        dates = []
        for _index, date in self.rule.occurrences(self.next_index):
            dates.append(date)
            if len(dates) >= count:
                break
        return dates


class RecurringOccurrence(models.Model):
    """One date of a plan and the invoice generated for it: the unique (plan, date) pair makes it exist once.

    ``email`` is the invoice e-mail the send job wrote. ``email_started_at`` is
    committed just before the send starts, so that an attempt interrupted by a
    crash is recognised. ``email_resent`` records that the e-mail was sent
    again after such an interruption: the customer may have received it twice
    (same Message-ID).
    """

    plan = models.ForeignKey(RecurringPlan, on_delete=models.PROTECT, related_name="occurrences")
    index = models.PositiveIntegerField()
    date = models.DateField(_("date prévue"))
    invoice = models.OneToOneField(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="recurring_occurrence"
    )
    # Copied from the plan when the occurrence is generated: switching automatic sending on later
    # does not send the invoices generated before.
    auto_send = models.BooleanField(default=False)
    email = models.ForeignKey(
        "mailing.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email_started_at = models.DateTimeField(null=True, blank=True)
    email_resent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("échéance d'abonnement")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "date"], name="unique_recurring_occurrence_date"),
            models.UniqueConstraint(fields=["plan", "index"], name="unique_recurring_occurrence_index"),
        ]

    def __str__(self) -> str:
        return "%s %s" % (self.plan, self.date)
