from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Lecture seule")
    WRITE = "write", _("Lecture et écriture")


class ApiToken(models.Model):
    """A bearer token that gives a program access to one organisation through the API.

    Only the SHA-256 digest of the token is stored: the token itself is shown
    once, when it is created. ``prefix`` is its first characters, shown in the
    list so that the owner can tell tokens apart.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    scope = models.CharField(_("droits"), max_length=10, choices=TokenScope, default=TokenScope.READ)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    # The token works until the end of this day, in Europe/Paris; empty: no expiry.
    expires_on = models.DateField(_("date d'expiration"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return "%s (%s…)" % (self.name, self.prefix)

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    def is_expired(self, today: datetime.date | None = None) -> bool:
        return self.expires_on is not None and (today or timezone.localdate()) > self.expires_on


class IdempotencyRecord(models.Model):
    """The first successful response to a write request sent with an ``Idempotency-Key`` header.

    A retry with the same key and the same request gets this response again
    instead of creating a second object; ``fingerprint`` is the SHA-256 of the
    method, path and body, which distinguishes a retry from a different request.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    location = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return self.key
