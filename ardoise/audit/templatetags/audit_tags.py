from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from ardoise.audit.labels import action_label
from ardoise.audit.models import AuditEntry

register = template.Library()


@register.filter
def audit_action(action: str) -> str:
    return action_label(action)


@register.inclusion_tag("audit/includes/history.html")
def document_history(invoice: Any) -> dict[str, Any]:
    """Show the audit entries of an invoice and of the payments recorded on it, oldest first."""
    payment_ids = [str(pk) for pk in invoice.payments.values_list("pk", flat=True)]
    entries = (
        AuditEntry.objects.filter(organisation_id=invoice.organisation_id)
        .filter(
            Q(object_type="invoice", object_id=str(invoice.pk)) | Q(object_type="payment", object_id__in=payment_ids)
        )
        .select_related("user")
        .order_by("created_at", "id")
    )
    return {"entries": entries}
