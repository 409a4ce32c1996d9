from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def organisation(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "organisation", None)

    def owner() -> bool:
        from ardoise.accounts.views import owns_current_organisation

        return owns_current_organisation(request)

    # Lazy, so that pages which never show owner-only links run no query for it.
    return {"organisation": current, "is_owner": SimpleLazyObject(owner)}
