"""The value of the ``{lien}`` placeholder of e-mails, which names a document on the customer portal.

The portal app plugs its builder in once, at start-up, with
``register_portal_link``. Its builder returns ``{lien}`` itself, so that the
text shown in a send form keeps the placeholder and sending puts the link's
URL there (``templating.insert_portal_link``). Until a builder is registered,
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
    """Return the text for the portal link of ``document`` (a quote or an invoice), or "" without a portal."""
    if _builder is None:
        return ""
    return _builder(document, request=request)
