from __future__ import annotations

from django.utils.functional import Promise


class PortalError(Exception):
    """A portal action that cannot be done; ``message`` is French and shown to the user."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)
