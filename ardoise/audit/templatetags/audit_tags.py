from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q
from django.utils.translation import gettext as _

from ardoise.audit.labels import action_label, data_label, field_label, shown_data_value, shown_field_value
from ardoise.audit.models import AuditEntry

register = template.Library()


@register.filter
def audit_action(action: str) -> str:
    return action_label(action)


@register.filter
def audit_details(entry: AuditEntry) -> list[tuple[str, Any]]:
    """Return the entry's data other than the changes, as (French label, value) pairs."""
    currency = getattr(entry, "currency", "")
    return [
        (data_label(key), shown_data_value(key, value, currency))
        for key, value in entry.data.items()
        if key != "changes"
    ]


@register.filter
def audit_changes(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """Return the entry's field changes as (French field name, before, after)."""
    changes = entry.data.get("changes") or {}
    currency = getattr(entry, "currency", "")
    return [
        (
            field_label(entry.object_type, name),
            shown_field_value(entry.object_type, name, values[0], currency),
            shown_field_value(entry.object_type, name, values[1], currency),
        )
        for name, values in changes.items()
    ]


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
    for entry in entries:
        entry.currency = invoice.currency  # type: ignore[attr-defined]
    return {"entries": entries}


@register.inclusion_tag("audit/includes/history.html")
def receipt_history(receipt: Any) -> dict[str, Any]:
    """Show the audit entries of a receipt, of its reversal and of the payments recorded with either, oldest first."""
    receipt_ids = [str(receipt.pk)]
    if receipt.reverses_id:
        receipt_ids.append(str(receipt.reverses_id))
    if receipt.is_reversed:
        receipt_ids.append(str(receipt.reversal.pk))
    payment_ids = [str(pk) for pk in receipt.payments.values_list("pk", flat=True)]
    entries = (
        AuditEntry.objects.filter(organisation_id=receipt.organisation_id)
        .filter(
            Q(object_type="receipt", object_id__in=receipt_ids) | Q(object_type="payment", object_id__in=payment_ids)
        )
        .select_related("user")
        .order_by("created_at", "id")
    )
    for entry in entries:
        entry.currency = receipt.currency  # type: ignore[attr-defined]
    return {"entries": entries, "empty_message": _("Aucun événement enregistré pour cet encaissement.")}
