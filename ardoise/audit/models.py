from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ardoise.integrity.exceptions import AppendOnlyError


class AuditSource(models.TextChoices):
    WEB = "web", _("Web")
    CLI = "cli", _("Ligne de commande")
    API = "api", _("API")


class AuditEntry(models.Model):
    """A business event: who did what to which object, when and from where.

    Actions are dotted names such as ``invoice.issued`` or ``payment.recorded``.
    ``data`` holds the event's details; an edit stores its field changes as
    ``data["changes"] = {field: [before, after]}``. Entries are append-only, in
    the model and in the database (triggers in migration 0002).
    """

    # PROTECT on both keys: deleting the organisation or the user would delete or
    # update entries, which the triggers reject.
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=AuditSource, default=AuditSource.WEB)
    # For the command line: the command ("ardoise invoice issue") and the system account that ran it.
    command = models.CharField(max_length=100, blank=True)
    system_user = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("entrée du journal d'audit")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "object_type", "object_id"], name="audit_by_object"),
            models.Index(fields=["organisation", "user", "created_at"], name="audit_by_user"),
        ]

    def __str__(self) -> str:
        return "%s %s %s" % (self.created_at, self.action, self.object_repr)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(self)
