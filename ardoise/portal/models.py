"""Portal links, which let a customer open one sent document without an account, and quote decisions.

A link names one document: an invoice, a credit note or a quote. The URL
carries a secret, signed with the installation's key. The database stores only
the secret's SHA-256 digest and the random nonce the secret is derived from
(see ``ardoise.portal.tokens``). A customer's acceptance or refusal of a quote on
the portal is kept as a ``QuoteDecision`` with its evidence.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.integrity.exceptions import AppendOnlyError


class PortalLinkQuerySet(models.QuerySet["PortalLink"]):
    def usable(self, now: datetime.datetime | None = None) -> PortalLinkQuerySet:
        """Keep the links that open their document now: neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class PortalLink(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="portal_links")
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="portal_links"
    )
    quote = models.ForeignKey(
        "quotes.Quote", null=True, blank=True, on_delete=models.PROTECT, related_name="portal_links"
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
            models.CheckConstraint(
                condition=Q(invoice__isnull=False, quote__isnull=True) | Q(invoice__isnull=True, quote__isnull=False),
                name="portal_link_names_one_document",
            ),
        ]

    def __str__(self) -> str:
        return "portal link %s of %s" % (self.pk, self.document)

    @property
    def document(self) -> models.Model:
        """Return the invoice, credit note or quote the link opens."""
        return self.invoice or self.quote  # type: ignore[return-value]

    def is_usable(self, now: datetime.datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class Decision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepté")
    REFUSED = "refused", _("Refusé")


class QuoteDecision(models.Model):
    """A customer's acceptance or refusal of a quote on the portal, with what proves it.

    The evidence is written once and never changed: the name typed, the
    comment, the time, the IP address and user agent of the request, the link
    used, and the SHA-256 of the exact PDF the page offered. Only
    ``business_notified_at`` is set later, when the business's e-mail went out.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    # One decision per quote: a second submission finds the quote decided and records nothing.
    quote = models.OneToOneField("quotes.Quote", on_delete=models.PROTECT, related_name="portal_decision")
    link = models.ForeignKey(PortalLink, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(_("décision"), max_length=10, choices=Decision)
    name = models.CharField(_("nom"), max_length=200)
    comment = models.TextField(_("commentaire"), blank=True)
    decided_at = models.DateTimeField(_("date"))
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=500, blank=True)
    pdf_sha256 = models.CharField(_("empreinte SHA-256 du PDF"), max_length=64)
    business_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("décision sur un devis")
        verbose_name_plural = _("décisions sur des devis")
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return "%s of quote %s" % (self.decision, self.quote_id)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The evidence is fixed at creation; a later save may only note the business's notification.
        if not self._state.adding and set(kwargs.get("update_fields") or ()) != {"business_notified_at"}:
            raise AppendOnlyError(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(self)

    @property
    def is_accepted(self) -> bool:
        return self.decision == Decision.ACCEPTED
