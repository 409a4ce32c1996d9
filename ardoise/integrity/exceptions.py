from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


class AppendOnlyError(Exception):
    """A change or deletion of a row that may only be inserted (payment, audit entry, chain record)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.message = _(
            "« %(object)s » est enregistré définitivement et ne peut être ni modifié ni supprimé : "
            "enregistrez plutôt une écriture de correction."
        ) % {"object": obj}
        super().__init__(self.message)
