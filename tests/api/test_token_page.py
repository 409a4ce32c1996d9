"""The « Jetons d'API » page: owners create, see once and revoke tokens; members cannot."""

from __future__ import annotations

import re

from ardoise.api.models import ApiToken, TokenScope
from ardoise.api.tokens import hash_token
from ardoise.audit.models import AuditEntry

URL = "/compte/entreprise/jetons-api/"


def test_owner_creates_token_shown_once(owner_client, organisation):
    response = owner_client.post(URL, {"name": "Boutique en ligne", "scope": "write", "expires_on": ""})

    assert response.status_code == 200
    secret = re.search(r"ardoise_[A-Za-z0-9_-]{43}", response.content.decode()).group(0)
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(secret)
    assert token.scope == TokenScope.WRITE
    assert token.organisation == organisation
    assert response["Cache-Control"] == "no-store"
    assert secret not in owner_client.get(URL).content.decode()
    assert AuditEntry.objects.filter(action="api_token.created").count() == 1


def test_created_token_calls_api(owner_client, client):
    page = owner_client.post(URL, {"name": "Lecture", "scope": "read"}).content.decode()
    secret = re.search(r"ardoise_[A-Za-z0-9_-]{43}", page).group(0)

    response = client.get("/api/v1/customers/", headers={"Authorization": "Bearer " + secret})

    assert response.status_code == 200


def test_past_expiry_is_refused_in_french(owner_client):
    response = owner_client.post(URL, {"name": "Vieux", "scope": "read", "expires_on": "2020-01-01"})

    assert response.status_code == 400
    assert "01/01/2020 est passée" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_owner_revokes_token(owner_client, organisation, owner):
    from ardoise.api.tokens import create_token

    created = create_token(organisation, "À révoquer", TokenScope.READ, user=owner)

    response = owner_client.post("%s%s/revoquer/" % (URL, created.token.pk))

    assert response.status_code == 302
    created.token.refresh_from_db()
    assert created.token.revoked_at is not None
    assert "Révoqué le" in owner_client.get(URL).content.decode()


def test_member_cannot_manage_tokens(member_client, organisation, owner):
    from ardoise.api.tokens import create_token

    created = create_token(organisation, "Du propriétaire", TokenScope.READ, user=owner)

    assert member_client.get(URL).status_code == 403
    assert member_client.post(URL, {"name": "X", "scope": "write"}).status_code == 403
    assert member_client.post("%s%s/revoquer/" % (URL, created.token.pk)).status_code == 403
    assert ApiToken.objects.count() == 1
    created.token.refresh_from_db()
    assert created.token.revoked_at is None


def test_outsider_cannot_revoke_other_token(outsider_client, organisation, owner, other_organisation):
    from ardoise.accounts.models import Membership, Role
    from ardoise.api.tokens import create_token

    Membership.objects.filter(organisation=other_organisation).update(role=Role.OWNER)
    created = create_token(organisation, "Pas à vous", TokenScope.READ, user=owner)

    response = outsider_client.post("%s%s/revoquer/" % (URL, created.token.pk))

    assert response.status_code == 404
    created.token.refresh_from_db()
    assert created.token.revoked_at is None


def test_docs_page_works_offline_under_csp(client, db):
    page = client.get("/api/v1/docs")
    schema = client.get("/api/v1/openapi.json")

    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    # Only data blocks are inline: the CSP allows no inline script.
    assert all('type="application/json"' in tag for tag in re.findall(r"<script(?![^>]*src=)[^>]*>", html))
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert schema.status_code == 200
    assert "/api/v1/invoices/{invoice_id}/ubl" in schema.json()["paths"]


def test_unknown_api_path_is_problem(client, db):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
