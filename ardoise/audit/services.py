from __future__ import annotations

import contextvars
import getpass
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest

from ardoise.audit.models import AuditEntry, AuditSource

logger = logging.getLogger(__name__)

# The command line being run ("ardoise invoice issue"), set by ``running_command``.
_current_command: contextvars.ContextVar[str] = contextvars.ContextVar("ardoise_command", default="")


@contextmanager
def running_command(command: str) -> Iterator[None]:
    """Attribute the audit entries written inside the block to ``command``."""
    token = _current_command.set(command)
    try:
        yield
    finally:
        _current_command.reset(token)


def record(
    organisation: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    user: Any = None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
    source: str = AuditSource.WEB,
) -> AuditEntry:
    """Write a business event to the audit log.

    Without a request, the event comes from the command line: the entry names
    the running command and the system account instead of an IP address. A
    request authenticated by an API token gives the source « api » and the
    token's name in ``data["api_token"]``.
    """
    if request is not None and user is None and request.user.is_authenticated:
        user = request.user
    api_token = getattr(request, "api_token", None)
    if api_token is not None:
        # A call of the REST API: the entry names the token, whose owner is the user.
        source = AuditSource.API
        data = {**(data or {}), "api_token": api_token.name}
    from_cli = source == AuditSource.CLI or (request is None and source == AuditSource.WEB)
    entry = AuditEntry.objects.create(
        organisation=organisation,
        user=user if getattr(user, "pk", None) else None,
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=data or {},
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
        source=AuditSource.CLI if from_cli else source,
        command=(_current_command.get() or "ardoise")[:100] if from_cli else "",
        system_user=_system_user()[:60] if from_cli else "",
    )
    logger.info("audit %s organisation=%s object=%s:%s", action, organisation.pk, entry.object_type, entry.object_id)
    return entry


def _system_user() -> str:
    try:
        return getpass.getuser()
    except OSError:
        # No user name in the environment and none for the uid (a bare container).
        return ""


def snapshot(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """Return the JSON-ready values of ``obj``'s fields ``names``, to compare before and after an edit."""
    values = {}
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname)  # type: ignore[union-attr]
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
            # A form gives Decimal("0") where the database gives Decimal("0.00"): one value, one text.
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
        values[name] = _json_ready(value)
    return values


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return ``{field: [before, after]}`` for the fields whose value differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def form_changes(form: Any) -> dict[str, list[Any]]:
    """Return ``{field: [before, after]}`` for the fields a bound, valid form changed."""
    result = {}
    for name in form.changed_data:
        field = form.fields[name]
        before = form.get_initial_for_field(field, name)
        queryset = getattr(field, "queryset", None)
        if queryset is not None and before is not None and not isinstance(before, models.Model):
            # A model form's initial value of a foreign key is the id: show the object instead.
            before = queryset.filter(pk=before).first() or before
        result[name] = [_json_ready(before), _json_ready(form.cleaned_data.get(name))]
    return result


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "<%s octets>" % len(value)
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "read"):
        # An uploaded file: its name is enough, the bytes do not belong in the log.
        return getattr(value, "name", "") or "<fichier>"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
