from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from ardoise.portal import links

register = template.Library()

# The links listed on a document's page, newest first; older ones stay in the audit log.
LISTED_LINKS = 10


@register.inclusion_tag("portal/includes/links_card.html")
def portal_links_card(document: Any) -> dict[str, Any]:
    """Show a document's portal links, the URL of the one that can be copied, and the create and revoke buttons."""
    listed = list(links.links_of(document).select_related("created_by", "revoked_by")[:LISTED_LINKS])
    usable = [link for link in listed if link.is_usable()]
    current = max(usable, key=lambda link: link.expires_at, default=None)
    return {
        "document": document,
        "links": listed,
        "current": current,
        "current_url": links.link_url(current) if current is not None else "",
        "create_url": reverse("portal_links:invoice_create", args=[document.pk]),
    }
