from __future__ import annotations

import logging
from typing import Any

from django.db import models
from django.http import HttpRequest

from ardoise.audit.models import AuditEntry

logger = logging.getLogger(__name__)


def record(
    organisation: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    user: Any = None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
    source: str = "web",
) -> AuditEntry:
    """Write a business event to the audit log."""
    if request is not None and user is None and request.user.is_authenticated:
        user = request.user
    entry = AuditEntry.objects.create(
        organisation=organisation,
        user=user,
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=data or {},
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
        source="cli" if request is None and source == "web" else source,
    )
    logger.info("audit %s organisation=%s object=%s:%s", action, organisation.pk, entry.object_type, entry.object_id)
    return entry
