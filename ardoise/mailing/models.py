from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("En attente")
    SENT = "sent", _("Envoyé")
    WRITTEN = "written", _("Écrit dans la boîte d'envoi locale")
    FAILED = "failed", _("Échec")


class Origin(models.TextChoices):
    MANUAL = "manual", _("Envoi manuel")
    AUTOMATIC = "automatic", _("Envoi automatique à l'émission")


class OutboundEmail(models.Model):
    """One e-mail Ardoise sent or tried to send, with its delivery result."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="emails")
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="emails"
    )
    quote = models.ForeignKey("quotes.Quote", null=True, blank=True, on_delete=models.PROTECT, related_name="emails")
    # Text, not a bounded string: a customer's billing contacts together may exceed any fixed length.
    to = models.TextField(_("destinataire"))
    cc = models.TextField(_("copie à"), blank=True)
    bcc = models.TextField(_("copie cachée à"), blank=True)
    subject = models.CharField(_("objet"), max_length=300)
    body = models.TextField(_("message"))
    attachment_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus, default=DeliveryStatus.QUEUED)
    error = models.TextField(blank=True)
    eml_file = models.CharField(max_length=300, blank=True)
    origin = models.CharField(max_length=10, choices=Origin, default=Origin.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("e-mail envoyé")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return "%s → %s" % (self.subject, self.to)

    def get_absolute_url(self) -> str:
        return reverse("mailing:detail", args=[self.pk])


class DeliveryAttempt(models.Model):
    """One attempt at handing an e-mail to the SMTP server (or the local outbox), with the server's reply."""

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=DeliveryStatus)
    # The SMTP server's reply to a failure, e.g. "550 5.1.1 Unknown user"; empty when it accepted the message.
    reply = models.TextField(blank=True)

    class Meta:
        verbose_name = _("tentative d'envoi")
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return "%s %s" % (self.email_id, self.status)


class EmailTemplate(models.Model):
    """An organisation's own wording for one kind of e-mail; without it, Ardoise writes its default message.

    ``kind`` names an entry of ``ardoise.mailing.templating.KINDS`` (invoice,
    credit note, statement…). It is not a database choice, so another app can
    add a kind without a migration here.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="email_templates")
    kind = models.CharField(max_length=40)
    subject = models.CharField(_("objet"), max_length=300)
    body = models.TextField(_("message"))
    attachment_name = models.CharField(_("nom de la pièce jointe"), max_length=200)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("modèle d'e-mail")
        verbose_name_plural = _("modèles d'e-mails")
        constraints = [models.UniqueConstraint(fields=["organisation", "kind"], name="unique_email_template_kind")]

    def __str__(self) -> str:
        return "%s %s" % (self.organisation_id, self.kind)
