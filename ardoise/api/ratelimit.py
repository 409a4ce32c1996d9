"""Rate limiting per API token, counted in Django's cache (Redis when REDIS_URL is set)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from ardoise.api.models import ApiToken
from ardoise.api.problems import ApiProblem
from ardoise.core.ratelimit import hit

WINDOW_SECONDS = 60


def check_rate(token: ApiToken) -> None:
    """Count one call of ``token`` in the current minute; raise a 429 problem past the limit.

    A fixed window: the count of a minute starts at zero at its first second,
    so a client may send up to twice the limit across the edge of two minutes.
    """
    limit = settings.ARDOISE_API_RATE_LIMIT
    counted = hit("api", str(token.pk), WINDOW_SECONDS)
    if counted.count <= limit:
        return
    raise ApiProblem(
        429,
        "rate-limited",
        _("Trop de requêtes"),
        _("Ce jeton a dépassé la limite de %(limit)s requêtes par minute. Réessayez dans %(seconds)s secondes.")
        % {"limit": limit, "seconds": counted.retry_after},
        headers={"Retry-After": str(counted.retry_after)},
    )
