"""Links to a document on the customer portal, for the ``{lien}`` placeholder of e-mails.

The portal app plugs its URL builder in once, at start-up, with
``register_portal_link(portal_url)``. Until a builder is registered,
``portal_link`` returns "" and e-mails leave the link out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_builder: Callable[..., str] | None = None


def register_portal_link(builder: Callable[..., str] | None) -> None:
    """Use ``builder(document, request=None)`` to link documents; None removes it (tests)."""
    global _builder
    _builder = builder


def portal_link(document: Any, request: Any = None) -> str:
    """Return the portal URL of ``document`` (a quote or an invoice), or "" without a portal."""
    if _builder is None:
        return ""
    return _builder(document, request=request)
