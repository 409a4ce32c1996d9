from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import format_date


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Lettre PDF à imprimer et poster")


class ReminderPlan(models.Model):
    """The reminder levels of an organisation (``customer`` None) or of one customer, which overrides it."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="reminder_plans")
    customer = models.OneToOneField(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="reminder_plan"
    )
    enabled = models.BooleanField(
        _("relances automatiques"),
        default=True,
        help_text=_("Décochez pour ne plus rien envoyer automatiquement ; « Relancer maintenant » reste possible."),
    )
    skip_non_working_days = models.BooleanField(
        _("reporter au jour ouvré suivant"),
        default=True,
        help_text=_("Une relance prévue un samedi, un dimanche ou un jour férié en France part le jour ouvré suivant."),
    )

    class Meta:
        verbose_name = _("plan de relance")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(customer__isnull=True), name="one_default_reminder_plan"
            ),
        ]

    def __str__(self) -> str:
        return "reminder plan %s (customer %s)" % (self.pk, self.customer_id)


class ReminderLevel(models.Model):
    """One step of a plan: its day relative to the due date, its channel and its text.

    The last level of a plan (the largest ``offset_days``) is the formal notice
    (mise en demeure): a PDF letter stating the principal, the penalties and the
    recovery indemnity.
    """

    plan = models.ForeignKey(ReminderPlan, on_delete=models.CASCADE, related_name="levels")
    offset_days = models.SmallIntegerField(
        _("jours après l'échéance"),
        validators=[MinValueValidator(-60), MaxValueValidator(365)],
        help_text=_("Négatif avant l'échéance : -3 pour 3 jours avant, 7 pour 7 jours après."),
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel, default=Channel.EMAIL)
    subject = models.CharField(_("objet"), max_length=300)
    body = models.TextField(_("message"))

    class Meta:
        verbose_name = _("niveau de relance")
        ordering = ["offset_days", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "offset_days"], name="unique_reminder_level_offset")]

    def __str__(self) -> str:
        return self.short_label()

    def short_label(self) -> str:
        """Return « J-3 », « J+7 »: the day of the level relative to the due date."""
        if self.offset_days < 0:
            return "J%s" % self.offset_days
        return "J+%s" % self.offset_days


class ReminderStatus(models.TextChoices):
    SENDING = "sending", _("En cours d'envoi")
    SENT = "sent", _("Envoyée")
    FAILED = "failed", _("Échec de l'envoi")
    LETTER = "letter", _("Lettre prête à imprimer")


class Reminder(models.Model):
    """A reminder sent (or a letter produced) for one invoice: the history shown on the invoice page.

    An automatic reminder exists once per invoice and level (a unique
    constraint), so that neither two workers nor a retried job send a level
    twice. Manual reminders (« Relancer maintenant ») have no such limit.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="reminders")
    level = models.ForeignKey(ReminderLevel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    level_label = models.CharField(max_length=20, blank=True)
    is_formal_notice = models.BooleanField(default=False)
    manual = models.BooleanField(default=False)
    channel = models.CharField(max_length=10, choices=Channel)
    status = models.CharField(max_length=10, choices=ReminderStatus, default=ReminderStatus.SENDING)
    planned_on = models.DateField()
    recipients = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    principal = models.DecimalField(max_digits=14, decimal_places=2)
    penalties = models.DecimalField(max_digits=14, decimal_places=2)
    indemnity = models.DecimalField(max_digits=14, decimal_places=2)
    letter_pdf = models.BinaryField(null=True, blank=True)
    email = models.ForeignKey(
        "mailing.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("relance")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "level"], condition=Q(manual=False), name="one_automatic_reminder_per_level"
            ),
        ]

    def __str__(self) -> str:
        return "reminder %s of invoice %s" % (self.level_label, self.invoice_id)


class InvoiceDispute(models.Model):
    """An invoice marked « en litige »: reminders stop until the mark is removed."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.PROTECT, related_name="dispute")
    reason = models.CharField(_("motif du litige"), max_length=300, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("litige")

    def __str__(self) -> str:
        return "dispute on invoice %s" % self.invoice_id


class EcbRate(models.Model):
    """A change of the ECB main refinancing rate, from its date of effect: one row of the table of rates."""

    effective_from = models.DateField(_("en vigueur à partir du"), unique=True)
    rate = models.DecimalField(
        _("taux de refinancement (%)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(-10), MaxValueValidator(50)],
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("taux de refinancement de la BCE")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return "%s: %s %%" % (format_date(self.effective_from), self.rate)


class LegalInterestRate(models.Model):
    """The French legal interest rates of one half-year (taux de l'intérêt légal), set by decree."""

    semester_start = models.DateField(_("semestre commençant le"), unique=True)
    individual_rate = models.DecimalField(
        _("créanciers particuliers (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
    )
    professional_rate = models.DecimalField(
        _("autres cas, dont les professionnels (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("taux de l'intérêt légal")
        ordering = ["-semester_start"]

    def __str__(self) -> str:
        return "%s: %s %% / %s %%" % (format_date(self.semester_start), self.individual_rate, self.professional_rate)

    def clean(self) -> None:
        start = self.semester_start
        if start is not None and (start.day != 1 or start.month not in (1, 7)):
            raise ValidationError(
                {
                    "semester_start": _(
                        "Le %(date)s ne commence pas un semestre : indiquez le 1er janvier ou le 1er juillet."
                    )
                    % {"date": format_date(start)}
                }
            )
