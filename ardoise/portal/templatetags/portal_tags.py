from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from ardoise.portal import links
from ardoise.portal.models import QuoteDecision
from ardoise.quotes.models import Quote

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
        "create_url": reverse(
            "portal_links:quote_create" if isinstance(document, Quote) else "portal_links:invoice_create",
            args=[document.pk],
        ),
    }


@register.inclusion_tag("portal/includes/decision_card.html")
def portal_decision_card(quote: Quote) -> dict[str, Any]:
    """Show the customer's decision on the portal and its evidence, on the quote's page."""
    return {"decision": QuoteDecision.objects.filter(quote=quote).select_related("link").first()}


# Online decisions stay on the dashboard this long, so that the business notices them without searching.
RECENT_DECISION_DAYS = 7
RECENT_DECISIONS_SHOWN = 10


@register.inclusion_tag("portal/includes/recent_decisions.html")
def portal_recent_decisions(organisation: Any) -> dict[str, Any]:
    """List the quotes the organisation's customers accepted or refused online in the last days."""
    if organisation is None:
        return {"decisions": []}
    since = timezone.now() - datetime.timedelta(days=RECENT_DECISION_DAYS)
    decisions = (
        QuoteDecision.objects.filter(organisation=organisation, decided_at__gte=since)
        .select_related("quote", "quote__customer")
        .order_by("-decided_at", "-id")[:RECENT_DECISIONS_SHOWN]
    )
    return {"decisions": list(decisions), "days": RECENT_DECISION_DAYS}
