from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class BackupStatus(models.TextChoices):
    RUNNING = "running", _("En cours")
    SUCCEEDED = "succeeded", _("Réussie")
    FAILED = "failed", _("Échouée")


class BackupKind(models.TextChoices):
    MANUAL = "manual", _("Manuelle")
    SCHEDULED = "scheduled", _("Planifiée")
    SAFETY = "safety", _("Avant restauration")


class BackupRun(models.Model):
    """One backup of the whole installation, for the log and the owner's dashboard.

    Backups cover every organisation at once (one database), so runs belong to
    no organisation. ``destinations`` lists the folders the archive was copied
    to and verified in, beside ``path``.
    """

    kind = models.CharField(max_length=10, choices=BackupKind, default=BackupKind.MANUAL)
    status = models.CharField(max_length=10, choices=BackupStatus, default=BackupStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    path = models.CharField(max_length=1000, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    encrypted = models.BooleanField(default=False)
    destinations = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("sauvegarde")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "-finished_at"], name="backup_run_by_status")]

    def __str__(self) -> str:
        return "%s %s %s" % (self.kind, self.status, self.started_at)

    def get_download_url(self) -> str:
        return reverse("backups:download", args=[self.pk])

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]
