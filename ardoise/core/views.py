"""Helpers that keep every view scoped to the current organisation."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404, HttpRequest


def current_organisation(request: HttpRequest) -> Any:
    """Return the organisation of the logged-in user, or 404 if they have none."""
    organisation = getattr(request, "organisation", None)
    if organisation is None:
        raise Http404
    return organisation


def scoped[ModelT: models.Model](request: HttpRequest, model: type[ModelT]) -> models.QuerySet[ModelT]:
    """Return the model's rows that belong to the current organisation."""
    return model._default_manager.filter(organisation=current_organisation(request))


def get_scoped_or_404[ModelT: models.Model](request: HttpRequest, model: type[ModelT], **lookup: Any) -> ModelT:
    """Fetch one row of the current organisation; another organisation's row answers 404."""
    try:
        return scoped(request, model).get(**lookup)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404 from None
