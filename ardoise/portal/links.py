"""Creating, finding and revoking portal links, and writing their absolute URLs.

Absolute URLs start with ``settings.BASE_URL`` (``ARDOISE_BASE_URL``), the
address customers reach the installation at, never with the host of the
request that created the link: staff may use an internal address.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.audit.services import record
from ardoise.invoicing.models import Invoice
from ardoise.portal import tokens
from ardoise.portal.exceptions import PortalError
from ardoise.portal.models import PortalLink
from ardoise.quotes.models import Quote

logger = logging.getLogger(__name__)

# Seconds between two writes of ``last_used_at``, so that reloading a page does not write a row each time.
LAST_USED_PRECISION = 60


def default_expiry(document: Any, now: datetime.datetime | None = None) -> datetime.datetime:
    """Return when a new link to ``document`` expires.

    A quote's link lasts until the end of its validity date plus
    PORTAL_QUOTE_EXTRA_DAYS (Europe/Paris), so that the customer can still see
    what became of it. Any other link, and the link of a quote already past
    that day, lasts PORTAL_LINK_DAYS from now.
    """
    now = now or timezone.now()
    if isinstance(document, Quote) and document.validity_date is not None:
        last_day = document.validity_date + datetime.timedelta(days=settings.PORTAL_QUOTE_EXTRA_DAYS + 1)
        end = timezone.make_aware(datetime.datetime.combine(last_day, datetime.time()))
        if end > now:
            return end
    return now + datetime.timedelta(days=settings.PORTAL_LINK_DAYS)


def _check_linkable(document: Any) -> None:
    if document.is_draft:
        raise PortalError(_("Un brouillon n'a pas de lien de portail : émettez d'abord le document."))


def _document_fields(document: Any) -> dict[str, Any]:
    if isinstance(document, Invoice):
        return {"invoice": document}
    if isinstance(document, Quote):
        return {"quote": document}
    raise TypeError("portal links open invoices, credit notes and quotes, not %r" % type(document).__name__)


def links_of(document: Any) -> Any:
    """Return the links of ``document``, newest first, revoked and expired ones included."""
    return PortalLink.objects.filter(organisation_id=document.organisation_id, **_document_fields(document))


def create_link(
    document: Any,
    *,
    expires_at: datetime.datetime | None = None,
    user: Any = None,
    request: Any = None,
) -> PortalLink:
    """Create a new link to an issued document and write it to the audit log."""
    _check_linkable(document)
    now = timezone.now()
    expires_at = expires_at or default_expiry(document, now)
    if expires_at <= now:
        raise PortalError(_("La date d'expiration du lien doit être dans le futur."))
    nonce = tokens.new_nonce()
    with transaction.atomic():
        link = PortalLink.objects.create(
            organisation_id=document.organisation_id,
            nonce=nonce,
            token_hash=tokens.hash_secret(tokens.secret_for(nonce)),
            expires_at=expires_at,
            created_by=user if getattr(user, "pk", None) else None,
            **_document_fields(document),
        )
        data = {"link": link.pk, "expires_at": expires_at.isoformat()}
        record(document.organisation, "portal_link.created", document, user=user, request=request, data=data)
    return link


def reusable_link(document: Any, now: datetime.datetime | None = None) -> PortalLink | None:
    """Return the newest usable link that stays valid at least half a new link's lifetime, or None."""
    now = now or timezone.now()
    lifetime = default_expiry(document, now) - now
    return links_of(document).usable(now).filter(expires_at__gte=now + lifetime / 2).order_by("-expires_at").first()


def link_url(link: PortalLink) -> str:
    return settings.BASE_URL + reverse("portal:document", kwargs={"token": tokens.signed_token(link.nonce)})


def portal_url(document: Any, request: Any = None, *, user: Any = None) -> str:
    """Return the absolute URL of a usable link to ``document``, creating the link when none can be reused.

    ``request`` attributes a new link to its user and IP address in the audit
    log; the URL itself always starts with ``settings.BASE_URL``.
    """
    link = reusable_link(document)
    if link is None:
        if user is None and request is not None and request.user.is_authenticated:
            user = request.user
        link = create_link(document, user=user, request=request)
    return link_url(link)


def revoke_link(link: PortalLink, *, user: Any = None, request: Any = None) -> None:
    """Revoke a link for good; its URL then gets the same « not found » page as any unknown address."""
    if link.revoked_at is not None:
        return
    with transaction.atomic():
        link.revoked_at = timezone.now()
        link.revoked_by = user if getattr(user, "pk", None) else None
        link.save(update_fields=["revoked_at", "revoked_by"])
        record(
            link.organisation, "portal_link.revoked", link.document, user=user, request=request, data={"link": link.pk}
        )


def revoke_all(document: Any, *, user: Any = None, request: Any = None) -> int:
    """Revoke every usable link to ``document``; return how many were revoked."""
    links = list(links_of(document).usable())
    for link in links:
        revoke_link(link, user=user, request=request)
    return len(links)


def find_link(token: str) -> PortalLink | None:
    """Return the usable link of a URL token, or None for any failure, whatever its cause.

    A token with a bad signature is rejected without a query. Unknown,
    expired and revoked links all return None, so callers treat them alike.
    """
    secret = tokens.secret_from_token(token)
    if secret is None:
        return None
    link = (
        PortalLink.objects.select_related("organisation", "invoice", "quote")
        .filter(token_hash=tokens.hash_secret(secret))
        .first()
    )
    if link is None or not link.is_usable():
        return None
    return link


def mark_viewed(link: PortalLink) -> None:
    """Count one opening of the document page and note when it happened."""
    now = timezone.now()
    PortalLink.objects.filter(pk=link.pk).update(view_count=F("view_count") + 1, last_used_at=now)
    link.last_used_at = now


def mark_used(link: PortalLink) -> None:
    """Record when the link last downloaded a file, skipping the write while the stored time is under a minute old."""
    now = timezone.now()
    if link.last_used_at is not None and (now - link.last_used_at).total_seconds() < LAST_USED_PRECISION:
        return
    PortalLink.objects.filter(pk=link.pk).update(last_used_at=now)
    link.last_used_at = now
