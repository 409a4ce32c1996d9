"""Portal links: the addresses that let a customer open one sent document without an account.

A link names one document. The URL carries a secret, signed with the
installation's key; the database stores only the secret's SHA-256 digest and
the random nonce it is derived from (see ``ardoise.portal.tokens``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalLinkQuerySet(models.QuerySet["PortalLink"]):
    def usable(self, now: datetime.datetime | None = None) -> PortalLinkQuerySet:
        """Keep the links that open their document now: neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class PortalLink(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="portal_links")
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="portal_links"
    )
    # 32 random bytes, hex; the secret of the URL is HMAC-SHA256(SECRET_KEY, nonce).
    nonce = models.CharField(max_length=64)
    # SHA-256 of the secret, hex: the only column a request is looked up by.
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expire le"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("dernière consultation"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("consultations"), default=0)

    objects = PortalLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("lien du portail client")
        verbose_name_plural = _("liens du portail client")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(invoice__isnull=False), name="portal_link_names_a_document"),
        ]

    def __str__(self) -> str:
        return "portal link %s of %s" % (self.pk, self.document)

    @property
    def document(self) -> models.Model:
        """Return the invoice or credit note the link opens."""
        return self.invoice  # type: ignore[return-value]

    def is_usable(self, now: datetime.datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
