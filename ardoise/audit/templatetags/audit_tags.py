from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from ardoise.audit.labels import action_label, data_label, field_label
from ardoise.audit.models import AuditEntry

register = template.Library()


@register.filter
def audit_action(action: str) -> str:
    return action_label(action)


@register.filter
def audit_details(entry: AuditEntry) -> list[tuple[str, Any]]:
    """Return the entry's data other than the changes, as (French label, value) pairs."""
    return [(data_label(key), value) for key, value in entry.data.items() if key != "changes"]


@register.filter
def audit_changes(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """Return the entry's field changes as (French field name, before, after)."""
    changes = entry.data.get("changes") or {}
    return [
        (field_label(entry.object_type, name), _shown(values[0]), _shown(values[1])) for name, values in changes.items()
    ]


def _shown(value: Any) -> Any:
    """Show an empty value as a dash, but keep False and 0, which are values."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return " ; ".join(str(item) for item in value)
    return value


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
