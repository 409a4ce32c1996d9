"""Rate limiting per API token, counted in Django's cache (Redis when REDIS_URL is set)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from ardoise.api.models import ApiToken
from ardoise.api.problems import ApiProblem

WINDOW_SECONDS = 60


def check_rate(token: ApiToken) -> None:
    """Count one call of ``token`` in the current minute; raise a 429 problem past the limit.

    A fixed window: the count of a minute starts at zero at its first second,
    so a client may send up to twice the limit across the edge of two minutes.
    """
    limit = settings.ARDOISE_API_RATE_LIMIT
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = "api-rate:%s:%s" % (token.pk, window)
    # add() is atomic and sets the expiry; incr() is atomic on Redis and on the local-memory cache.
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this call is the first of the window.
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count <= limit:
        return
    retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
    raise ApiProblem(
        429,
        "rate-limited",
        _("Trop de requêtes"),
        _("Ce jeton a dépassé la limite de %(limit)s requêtes par minute. Réessayez dans %(seconds)s secondes.")
        % {"limit": limit, "seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )
