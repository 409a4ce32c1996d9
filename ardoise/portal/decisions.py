"""Recording a customer's acceptance or refusal of a quote on the portal, with its evidence.

The decision, the quote's new status, the audit entry and the webhook event
are written in one transaction. The business's e-mail and the automatic
deposit invoice are jobs derived from the stored decision (``tasks``), started
after the commit, so that a crash or an SMTP failure does not lose them. A
second run makes no second deposit invoice; the business's e-mail is sent at
least once, like every e-mail of the job queue.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.portal.exceptions import PortalError
from ardoise.portal.models import Decision, PortalLink, QuoteDecision
from ardoise.quotes import services as quote_services
from ardoise.quotes.exceptions import QuoteError
from ardoise.quotes.models import Quote

logger = logging.getLogger(__name__)

# A user agent is the browser's own text: long ones are cut, which keeps the column bounded.
USER_AGENT_LENGTH = 500


def pdf_digest(quote: Quote) -> str:
    """Return the SHA-256 of the quote's stored PDF, the file the portal offers for download."""
    return hashlib.sha256(quote.issued_pdf()).hexdigest()


def record_decision(
    link: PortalLink, *, accepted: bool, name: str, comment: str, pdf_sha256: str, request: HttpRequest
) -> QuoteDecision:
    """Accept or refuse the link's quote for the customer; return the decision stored.

    A quote already decided on the portal returns that decision unchanged, so
    a form submitted twice records one decision. Raises ``PortalError`` when
    the quote is no longer open (expired, decided by the business, invoiced)
    or when ``pdf_sha256`` is not the digest of the stored PDF.
    """
    quote = link.quote
    if quote is None:
        raise PortalError(_("Ce document n'est pas un devis : il ne s'accepte pas."))
    with transaction.atomic():
        quote = Quote.objects.select_for_update().select_related("organisation").get(pk=quote.pk)
        existing = QuoteDecision.objects.filter(quote=quote).first()
        if existing is not None:
            return existing
        digest = pdf_digest(quote)
        if pdf_sha256 != digest:
            raise PortalError(
                _("Le devis a changé depuis l'ouverture de la page : rechargez-la pour voir la version en cours.")
            )
        decision = _store(link, quote, accepted, name, comment, digest, request)
        _apply_to_quote(quote, decision, request)
        transaction.on_commit(lambda: start_follow_ups(decision.pk))
    logger.info("quote decided on the portal quote=%s decision=%s link=%s", quote.pk, decision.decision, link.pk)
    return decision


def _store(
    link: PortalLink, quote: Quote, accepted: bool, name: str, comment: str, digest: str, request: HttpRequest
) -> QuoteDecision:
    return QuoteDecision.objects.create(
        organisation=quote.organisation,
        quote=quote,
        link=link,
        decision=Decision.ACCEPTED if accepted else Decision.REFUSED,
        name=name,
        comment=comment,
        decided_at=timezone.now(),
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        pdf_sha256=digest,
    )


def evidence(decision: QuoteDecision) -> dict[str, Any]:
    """Return the evidence the quote and its audit entry keep, the same as the stored decision."""
    return {
        "channel": "portal",
        "decision": decision.pk,
        "link": decision.link_id,
        "name": decision.name,
        "comment": decision.comment,
        "at": decision.decided_at.isoformat(),
        "ip": decision.ip_address,
        "user_agent": decision.user_agent,
        "pdf_sha256": decision.pdf_sha256,
    }


def _apply_to_quote(quote: Quote, decision: QuoteDecision, request: HttpRequest) -> None:
    try:
        if decision.is_accepted:
            quote_services.accept(
                quote, None, evidence(decision), name=decision.name, accepted_at=decision.decided_at, request=request
            )
        else:
            quote_services.refuse(quote, None, reason=decision.comment, request=request)
    except QuoteError as error:
        raise PortalError(error.message) from None


def start_follow_ups(decision_id: int) -> None:
    """Create and run the units that notify the business and, when asked, invoice the deposit."""
    from ardoise.portal.tasks import start_units

    start_units(decision_id)
