from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("En attente")
    SENT = "sent", _("Envoyé")
    WRITTEN = "written", _("Écrit dans la boîte d'envoi locale")
    FAILED = "failed", _("Échec")


class OutboundEmail(models.Model):
    """One e-mail Ardoise sent or tried to send, with its delivery result."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="emails")
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="emails"
    )
    to = models.CharField(_("destinataire"), max_length=500)
    cc = models.CharField(_("copie à"), max_length=500, blank=True)
    subject = models.CharField(_("objet"), max_length=300)
    body = models.TextField(_("message"))
    attachment_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus, default=DeliveryStatus.QUEUED)
    error = models.TextField(blank=True)
    eml_file = models.CharField(max_length=300, blank=True)
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
