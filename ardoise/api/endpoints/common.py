"""Helpers shared by the API endpoints."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ardoise.api.problems import not_found, validation_problem


def scoped_or_404[ModelT: models.Model](request: HttpRequest, queryset: models.QuerySet[ModelT], pk: int) -> ModelT:
    """Return the row ``pk`` of the token's organisation; another organisation's row is a 404 like a missing one."""
    found = queryset.filter(organisation=request.organisation, pk=pk).first()  # type: ignore[attr-defined]
    if found is None:
        raise not_found()
    return found


def json_response(data: Any, status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False), status=status, content_type="application/json"
    )
    if location:
        response["Location"] = location
    return response


def text(value: Decimal | None) -> str | None:
    """Return a decimal as the API writes it: a string with its stored decimals, never a float."""
    return None if value is None else format(value, "f")


def reject_nul(**values: str | None) -> None:
    """Reject text parameters holding a NUL character, which PostgreSQL cannot compare."""
    for name, value in values.items():
        if value and "\x00" in value:
            raise validation_problem([{"field": name, "message": _("Caractère nul interdit.")}])
