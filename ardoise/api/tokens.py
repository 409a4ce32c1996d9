"""API tokens: creation, hashing and the checks made on every call."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ardoise.accounts.models import Organisation
from ardoise.api.models import ApiToken
from ardoise.audit.services import record

TOKEN_PREFIX = "ardoise_"  # noqa: S105 (a public marker that tells tokens apart, not a secret)
# 32 random bytes: 43 characters of URL-safe base64.
TOKEN_PATTERN = re.compile(r"^ardoise_[A-Za-z0-9_-]{43}$")
PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
# Seconds between two writes of ``last_used_at``, so that a busy client does not write a row per call.
LAST_USED_PRECISION = 60


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    organisation: Organisation, name: str, scope: str, expires_on: Any = None, *, user: Any = None, request: Any = None
) -> NewToken:
    """Create a token and return it with its secret, which is never stored and cannot be shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            organisation=organisation,
            name=name,
            scope=scope,
            expires_on=expires_on,
            prefix=secret[:PREFIX_LENGTH],
            key_hash=hash_token(secret),
            created_by=user if getattr(user, "pk", None) else None,
        )
        data = {"scope": scope, "expires_on": expires_on.isoformat() if expires_on else None}
        record(organisation, "api_token.created", token, user=user, request=request, data=data)
    return NewToken(token=token, secret=secret)


def revoke_token(token: ApiToken, *, user: Any = None, request: Any = None) -> None:
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(token.organisation, "api_token.revoked", token, user=user, request=request)


def find_token(secret: str) -> ApiToken | None:
    """Return the token whose secret is ``secret``, revoked or expired ones included, or None."""
    return ApiToken.objects.select_related("organisation", "created_by").filter(key_hash=hash_token(secret)).first()


def mark_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and (now - token.last_used_at).total_seconds() < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
