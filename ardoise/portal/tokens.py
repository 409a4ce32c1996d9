"""The secret of a portal link, its digest, and its signed form in the URL.

Each link has a random 32-byte nonce. Its secret is HMAC-SHA256(SECRET_KEY,
nonce), so the server can write a link's URL again (a second e-mail reuses the
link) while the database alone gives no working URL. The database finds a link
by the SHA-256 digest of its secret. The URL carries the secret signed with
Django's signing, which rejects an altered token before any database query.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.core import signing
from django.utils.crypto import salted_hmac

SIGNING_SALT = "ardoise.portal.link"
SECRET_SALT = "ardoise.portal.secret"  # noqa: S105 (an HMAC key salt, public by design)
# The secret and the signature are both 43 characters of URL-safe base64 (32 bytes each).
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$")


def new_nonce() -> str:
    return secrets.token_hex(32)


def secret_for(nonce: str) -> str:
    digest = salted_hmac(SECRET_SALT, nonce, algorithm="sha256").digest()
    return signing.b64_encode(digest).decode()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _signer() -> signing.Signer:
    return signing.Signer(salt=SIGNING_SALT, sep=".", algorithm="sha256")


def signed_token(nonce: str) -> str:
    """Return the token of the link's URL: its secret and the secret's signature."""
    return _signer().sign(secret_for(nonce))


def secret_from_token(token: str) -> str | None:
    """Return the secret of a well-formed token with a valid signature, or None; never queries the database."""
    if not TOKEN_PATTERN.match(token):
        return None
    try:
        return _signer().unsign(token)
    except signing.BadSignature:
        return None
