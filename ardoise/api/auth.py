"""Bearer token authentication of the API: every call is scoped to the token's organisation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from ardoise.api.models import ApiToken
from ardoise.api.problems import ApiProblem
from ardoise.api.ratelimit import check_rate
from ardoise.api.tokens import TOKEN_PATTERN, find_token, mark_used
from ardoise.core.formats import format_date


def _unauthenticated(detail: str) -> ApiProblem:
    return ApiProblem(
        401,
        "unauthenticated",
        _("Authentification refusée"),
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="ardoise"'},
    )


class TokenAuth(HttpBearer):
    """Check the ``Authorization: Bearer <token>`` header; ``write`` operations need a read-write token.

    Each refusal raises a problem that names its cause: a missing, malformed,
    unknown, revoked or expired token (401), too many calls (429), or a
    read-only token on a write (403).
    """

    def __init__(self, *, write: bool) -> None:
        super().__init__()
        self.write = write

    def __call__(self, request: HttpRequest) -> ApiToken:
        header = request.headers.get("Authorization", "")
        if not header:
            raise _unauthenticated(_("Envoyez votre jeton d'API dans l'en-tête « Authorization: Bearer <jeton> »."))
        scheme, _space, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not TOKEN_PATTERN.match(secret):
            raise _unauthenticated(
                _(
                    "L'en-tête Authorization est mal formé : il doit valoir « Bearer » suivi du jeton complet, "
                    "qui commence par « ardoise_ »."
                )
            )
        return self.authenticate(request, secret)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = find_token(token)
        if found is None:
            raise _unauthenticated(_("Ce jeton d'API n'existe pas : vérifiez qu'il est copié en entier."))
        if found.revoked_at is not None:
            raise _unauthenticated(
                _("Le jeton « %(name)s » a été révoqué : demandez un nouveau jeton au propriétaire de l'entreprise.")
                % {"name": found.name}
            )
        if found.expires_on is not None and found.is_expired():
            raise _unauthenticated(
                _("Le jeton « %(name)s » a expiré le %(date)s : demandez un nouveau jeton.")
                % {"name": found.name, "date": format_date(found.expires_on)}
            )
        check_rate(found)
        if self.write and not found.can_write:
            raise ApiProblem(
                403,
                "forbidden",
                _("Droits insuffisants"),
                _(
                    "Le jeton « %(name)s » est en lecture seule : cette opération demande un jeton "
                    "« Lecture et écriture »."
                )
                % {"name": found.name},
            )
        mark_used(found)
        _attach(request, found)
        return found


def _attach(request: Any, token: ApiToken) -> None:
    """Make the request look like one of the token's owner, scoped to its organisation, for the services."""
    request.api_token = token
    request.organisation = token.organisation
    request.user = token.created_by or AnonymousUser()


read_auth = TokenAuth(write=False)
write_auth = TokenAuth(write=True)
