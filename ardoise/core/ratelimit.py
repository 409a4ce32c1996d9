"""Fixed-window counters in Django's cache (Redis when REDIS_URL is set), for rate limits.

A window of ``seconds`` starts at zero at its first second, so a client may
make up to twice the limit across the edge of two windows. Counters live in
the cache: with the local-memory cache each process counts on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class WindowCount:
    """The count of a subject in the current window, and the seconds until the next window starts."""

    count: int
    retry_after: int


def _key(scope: str, subject: str, seconds: int, now: float) -> tuple[str, int]:
    window = int(now // seconds)
    retry_after = max(1, int((window + 1) * seconds - now) + 1)
    return "rate:%s:%s:%s" % (scope, subject, window), retry_after


def hit(scope: str, subject: str, seconds: int) -> WindowCount:
    """Count one event of ``subject`` in the current window of ``scope`` and return the new count."""
    key, retry_after = _key(scope, subject, seconds, time.time())
    # add() is atomic and sets the expiry; incr() is atomic on Redis and on the local-memory cache.
    cache.add(key, 0, timeout=seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this event is the first of the window.
        cache.set(key, 1, timeout=seconds * 2)
        count = 1
    return WindowCount(count=count, retry_after=retry_after)


def peek(scope: str, subject: str, seconds: int) -> WindowCount:
    """Return the count of ``subject`` in the current window of ``scope`` without counting an event."""
    key, retry_after = _key(scope, subject, seconds, time.time())
    return WindowCount(count=int(cache.get(key, 0)), retry_after=retry_after)
