"""Tokens: every refusal is a 401, 403 or 429 problem that names its cause."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from ardoise.api.models import ApiToken, TokenScope
from ardoise.api.tokens import create_token, hash_token, revoke_token
from ardoise.audit.models import AuditEntry, AuditSource

from .conftest import ApiClient


def assert_problem(response, status: int, kind: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:ardoise:problem:%s" % kind
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert isinstance(body["errors"], list)
    return body


def test_missing_token_is_401(client, db):
    response = client.get("/api/v1/customers/")

    body = assert_problem(response, 401, "unauthenticated")
    assert "Authorization" in body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ardoise_court", "Token ardoise_" + "a" * 43, "Bearer " + "x" * 51],
)
def test_malformed_token_is_401(client, db, header):
    response = client.get("/api/v1/customers/", headers={"Authorization": header})

    body = assert_problem(response, 401, "unauthenticated")
    assert "mal formé" in body["detail"]


def test_unknown_token_is_401(client, db):
    response = ApiClient(client, "ardoise_" + "b" * 43).get("/customers/")

    body = assert_problem(response, 401, "unauthenticated")
    assert "n'existe pas" in body["detail"]


def test_revoked_token_is_401(client, organisation, owner):
    created = create_token(organisation, "Ancienne boutique", TokenScope.WRITE, user=owner)
    revoke_token(created.token, user=owner)

    response = ApiClient(client, created.secret).get("/customers/")

    body = assert_problem(response, 401, "unauthenticated")
    assert "« Ancienne boutique » a été révoqué" in body["detail"]


def test_token_works_through_expiry_day(client, organisation, owner):
    created = create_token(organisation, "Stage", TokenScope.READ, datetime.date(2026, 12, 31), user=owner)
    api = ApiClient(client, created.secret)

    with time_machine.travel(datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC), tick=False):
        # 00:30 on 1 January in Paris: the day after the expiry date.
        expired = api.get("/customers/")
    with time_machine.travel(datetime.datetime(2026, 12, 31, 22, 30, tzinfo=datetime.UTC), tick=False):
        valid = api.get("/customers/")

    assert valid.status_code == 200
    body = assert_problem(expired, 401, "unauthenticated")
    assert "a expiré le 31/12/2026" in body["detail"]


def test_read_only_token_cannot_write(read_api, customer):
    before = AuditEntry.objects.count()

    responses = [
        read_api.post("/customers/", {"name": "Nouveau"}),
        read_api.patch("/customers/%s" % customer.pk, {"name": "Renommé"}),
        read_api.post("/products/", {"name": "Article"}),
        read_api.post("/invoices/", {"customer": customer.pk}),
    ]

    for response in responses:
        body = assert_problem(response, 403, "forbidden")
        assert "lecture seule" in body["detail"]
    customer.refresh_from_db()
    assert customer.name == "Boulangerie Martin SAS"
    assert AuditEntry.objects.count() == before


def test_read_only_token_is_refused_before_validation(read_api):
    response = read_api.post("/customers/", {"unknown": 1})

    assert_problem(response, 403, "forbidden")


def test_token_is_stored_hashed(organisation, owner):
    created = create_token(organisation, "Boutique", TokenScope.WRITE, user=owner)

    stored = ApiToken.objects.get(pk=created.token.pk)
    assert created.secret.startswith("ardoise_")
    assert len(created.secret) == len("ardoise_") + 43
    assert stored.key_hash == hash_token(created.secret)
    assert created.secret not in str(ApiToken.objects.filter(pk=stored.pk).values().get())
    assert stored.prefix == created.secret[:14]


def test_use_is_recorded_on_token(api, write_secret):
    token = ApiToken.objects.get(key_hash=hash_token(write_secret))
    assert token.last_used_at is None

    api.get("/customers/")

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_rate_limit_gives_429_with_retry_after(api, settings):
    settings.ARDOISE_API_RATE_LIMIT = 3

    statuses = [api.get("/customers/").status_code for _ in range(3)]
    refused = api.get("/customers/")

    assert statuses == [200, 200, 200]
    body = assert_problem(refused, 429, "rate-limited")
    assert "3 requêtes par minute" in body["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 61


def test_rate_limit_counts_each_token_apart(api, read_api, settings):
    settings.ARDOISE_API_RATE_LIMIT = 1

    assert api.get("/customers/").status_code == 200
    assert read_api.get("/customers/").status_code == 200
    assert api.get("/customers/").status_code == 429


def test_write_is_audited_with_api_source(api, owner):
    response = api.post("/customers/", {"name": "Fromagerie Bernard", "email": "contact@fromagerie.fr"})

    assert response.status_code == 201
    entry = AuditEntry.objects.get(action="customer.created")
    assert entry.source == AuditSource.API
    assert entry.user == owner
    assert entry.data["api_token"] == "Boutique"
    assert entry.ip_address == "127.0.0.1"
    assert entry.object_id == str(response.json()["id"])


def test_journal_shows_api_origin(api, owner_client):
    api.post("/customers/", {"name": "Fromagerie Bernard"})

    page = owner_client.get("/journal/").content.decode()

    assert "API, jeton « Boutique »" in page
