"""Helpers that keep every view scoped to the current organisation, and the CSRF failure page."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


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
    """Fetch one row of the current organisation, raising Http404 for another organisation's row."""
    try:
        return scoped(request, model).get(**lookup)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404 from None


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain in French that the form expired, instead of Django's English page.

    Django already logs the ``reason`` (on the ``django.security.csrf`` logger);
    it is technical and not shown to the user.
    """
    return render(request, "403_csrf.html", status=403)
