"""Bind the UI's Django forms to JSON input, so that the API validates exactly as the screens do."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models


def post_value(value: Any) -> Any:
    """Return ``value`` as a browser would post it in a form field, or None to post nothing."""
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Decimal):
        # Never an exponent ("1E+2"): the French decimal fields read digits and one separator.
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [post_value(item) for item in value]
    return str(value)


def current_data(form: forms.BaseForm) -> dict[str, Any]:
    """Return what the unbound ``form`` would post unchanged: its initial values, in posted form."""
    data = {}
    for name in form.fields:
        value = post_value(form[name].value())
        if value is not None:
            data[form.add_prefix(name)] = value
    return data


def overlay(data: dict[str, Any], values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Replace the fields named in ``values`` (a JSON object) in posted ``data``; null empties a field."""
    for name, value in values.items():
        key = "%s-%s" % (prefix, name) if prefix else name
        posted = post_value(value)
        if posted is None:
            data.pop(key, None)
        else:
            data[key] = posted
    return data
