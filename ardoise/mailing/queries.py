"""Read-only queries of the mailing app, for the dashboard and the command line."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ardoise.mailing.models import DeliveryStatus, OutboundEmail

# Failures older than this are no longer shown on the dashboard; the outbox keeps them.
RECENT_FAILURES = datetime.timedelta(days=7)


def failed_deliveries(organisation: Any) -> QuerySet[OutboundEmail]:
    """Return the organisation's e-mails of the last 7 days that are « failed », newest first.

    An invoice's failed e-mail is left out once a later e-mail of the same
    invoice was delivered: the customer has the document.
    """
    delivered_later = OutboundEmail.objects.filter(
        invoice=OuterRef("invoice"),
        pk__gt=OuterRef("pk"),
        status__in=[DeliveryStatus.SENT, DeliveryStatus.WRITTEN],
    )
    return (
        OutboundEmail.objects.filter(
            organisation=organisation,
            status=DeliveryStatus.FAILED,
            created_at__gte=timezone.now() - RECENT_FAILURES,
        )
        .exclude(Exists(delivered_later))
        .select_related("invoice")
        .order_by("-created_at", "-id")
    )
