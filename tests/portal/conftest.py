import pytest
from django.core.cache import cache

from tests.mailing.conftest import smtp_server, smtp_settings  # noqa: F401 (fixtures shared with the mailing tests)


@pytest.fixture(autouse=True)
def _fresh_failure_counters():
    """Start each test with no failed portal request counted: the counters live in the shared cache."""
    cache.clear()
    yield
    cache.clear()


from tests.quotes.conftest import draft_quote, issued_quote  # noqa: E402, F401 (the quote fixtures)
