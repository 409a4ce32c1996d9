"""Recurring plans (« abonnements ») and the invoices they generated, one per occurrence date."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ardoise.recurring import indexation, schedule


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
MAX_REVISION_MONTHS = 120


class RevisionKind(models.TextChoices):
    NONE = "none", _("Aucune : prix fixes")
    PERCENT = "percent", _("Pourcentage annuel")
    INDEX = "index", _("Indice (P1 = P0 × I1 / I0)")


class Periodicity(models.TextChoices):
    MONTHLY = indexation.MONTHLY, _("mensuel")
    QUARTERLY = indexation.QUARTERLY, _("trimestriel")
    YEARLY = indexation.YEARLY, _("annuel")


class PriceIndex(models.Model):
    """A price index that an organisation's contracts revise their prices by (Syntec, BT01, an INSEE index…).

    Its values are typed in by the organisation, period by period: Ardoise
    ships none, because it cannot check them against the publisher's.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="price_indices")
    name = models.CharField(
        _("nom de l'indice"), max_length=60, help_text=_("Tel qu'il figure dans vos contrats, par exemple « Syntec ».")
    )
    periodicity = models.CharField(
        _("périodicité"),
        max_length=10,
        choices=Periodicity,
        default=Periodicity.MONTHLY,
        help_text=_("Un indice mensuel a une valeur par mois (Syntec, BT01), un indice trimestriel une par trimestre."),
    )
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("Où vous relevez ses valeurs, pour mémoire.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("indice de prix")
        verbose_name_plural = _("indices de prix")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="unique_price_index_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("recurring:index_detail", args=[self.pk])

    def format_period(self, period: datetime.date) -> str:
        return indexation.format_period(period, self.periodicity)


class PriceIndexValue(models.Model):
    """The published value of an index for one period (stored as the period's first day)."""

    index = models.ForeignKey(PriceIndex, on_delete=models.CASCADE, related_name="values")
    period = models.DateField(_("période"))
    value = models.DecimalField(
        _("valeur"), max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("valeur d'indice")
        verbose_name_plural = _("valeurs d'indice")
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["index", "period"], name="unique_price_index_period"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="price_index_value_positive"),
        ]

    def __str__(self) -> str:
        return "%s %s : %s" % (
            self.index.name,
            self.index.format_period(self.period),
            indexation.format_index_value(self.value),
        )


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
    revision_kind = models.CharField(
        _("révision des prix"), max_length=10, choices=RevisionKind, default=RevisionKind.NONE
    )
    price_index = models.ForeignKey(
        PriceIndex,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("indice de révision"),
    )
    index_base_period = models.DateField(_("période de l'indice de référence (I0)"), null=True, blank=True)
    index_base_value = models.DecimalField(
        _("valeur de l'indice de référence (I0)"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("La valeur inscrite au contrat, celle des prix de l'abonnement."),
    )
    revision_date = models.DateField(
        _("date de la première révision"),
        null=True,
        blank=True,
        help_text=_("Laissez vide pour réviser au premier anniversaire de la première facture."),
    )
    revision_every_months = models.PositiveSmallIntegerField(
        _("révision tous les N mois"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REVISION_MONTHS)],
        help_text=_("12 pour une révision annuelle ; l'indice utilisé avance d'autant à chaque révision."),
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

    @property
    def index_rule(self) -> indexation.IndexRule | None:
        """Return the index revision rule, or None when the plan is not revised by an index."""
        if self.revision_kind != RevisionKind.INDEX or self.price_index is None:
            return None
        if self.index_base_period is None or self.index_base_value is None:
            return None
        return indexation.IndexRule(
            periodicity=self.price_index.periodicity,
            base_period=self.index_base_period,
            base_value=self.index_base_value,
            first_revision=self.revision_date or schedule.add_months(self.start_date, 12),
            every_months=self.revision_every_months,
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
    # Why the draft waits instead of being issued, e.g. the index value of its revision is missing.
    # Empty once the draft's prices are settled; issuing refuses the draft while it is not.
    revision_problem = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("échéance d'abonnement")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "date"], name="unique_recurring_occurrence_date"),
            models.UniqueConstraint(fields=["plan", "index"], name="unique_recurring_occurrence_index"),
        ]
        indexes = [
            models.Index(fields=["plan"], condition=~models.Q(revision_problem=""), name="recurring_revision_waiting")
        ]

    def __str__(self) -> str:
        return "%s %s" % (self.plan, self.date)
