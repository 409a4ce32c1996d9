"""Tokens of the three people's organisations and a client that sends them."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from ardoise.api.models import TokenScope
from ardoise.api.tokens import create_token


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def write_secret(organisation, owner) -> str:
    return create_token(organisation, "Boutique", TokenScope.WRITE, user=owner).secret


@pytest.fixture
def read_secret(organisation, owner) -> str:
    return create_token(organisation, "Comptable", TokenScope.READ, user=owner).secret


@pytest.fixture
def other_secret(other_organisation, outsider) -> str:
    return create_token(other_organisation, "Autre", TokenScope.WRITE, user=outsider).secret


class ApiClient:
    """Django's test client with a bearer token and JSON bodies."""

    def __init__(self, client, secret: str) -> None:
        self.client = client
        self.headers = {"Authorization": "Bearer %s" % secret}

    def get(self, path: str, **params):
        return self.client.get("/api/v1" + path, params, headers=self.headers)

    def post(self, path: str, data=None, headers=None):
        return self.client.post(
            "/api/v1" + path, data or {}, content_type="application/json", headers={**self.headers, **(headers or {})}
        )

    def patch(self, path: str, data=None):
        return self.client.patch("/api/v1" + path, data or {}, content_type="application/json", headers=self.headers)


@pytest.fixture
def api(client, write_secret) -> ApiClient:
    return ApiClient(client, write_secret)


@pytest.fixture
def read_api(client, read_secret) -> ApiClient:
    return ApiClient(client, read_secret)


@pytest.fixture
def other_api(client, other_secret) -> ApiClient:
    return ApiClient(client, other_secret)


# The quote fixtures of the quote tests, and the real SMTP server on loopback of the mailing tests.
from tests.mailing.conftest import smtp_server, smtp_settings  # noqa: E402, F401
from tests.quotes.billing.conftest import accepted_quote  # noqa: E402, F401
from tests.quotes.conftest import draft_quote, issued_quote  # noqa: E402, F401
