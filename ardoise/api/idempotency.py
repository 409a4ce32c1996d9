"""The ``Idempotency-Key`` header: a retried create request returns its first response and creates once."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.api.models import IdempotencyRecord
from ardoise.api.problems import ApiProblem, validation_problem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# A key is remembered this long; a retry after that creates again.
RETENTION = datetime.timedelta(hours=24)


class _KeyTaken(Exception):
    """Another request stored the same key first; its transaction is rolled back."""


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update((request.method or "").encode() + b" " + request.path.encode() + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _check_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.strip():
        raise validation_problem(
            [
                {
                    "field": HEADER,
                    "message": _("La clé doit faire de 1 à %(max)s caractères imprimables.") % {"max": MAX_KEY_LENGTH},
                }
            ]
        )


def _replay(request: HttpRequest, stored: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if stored.fingerprint != fingerprint:
        raise ApiProblem(
            409,
            "idempotency-key-reused",
            _("Clé d'idempotence déjà utilisée"),
            _(
                "La clé « %(key)s » a déjà servi pour une autre requête : utilisez une nouvelle clé pour "
                "chaque nouvelle opération, et la même clé seulement pour répéter la même requête."
            )
            % {"key": stored.key},
            errors=[{"field": HEADER, "message": _("Clé déjà utilisée avec un autre contenu.")}],
        )
    response = HttpResponse(bytes(stored.body), status=stored.status_code, content_type=stored.content_type)
    if stored.location:
        response["Location"] = stored.location
    response["Idempotent-Replayed"] = "true"
    return response


def run_once(request: HttpRequest, key: str | None, create: Callable[[], HttpResponse]) -> HttpResponse:
    """Run ``create`` unless the token already sent ``key``; store its successful response under the key.

    The object and the key are saved in one transaction. Two requests racing
    with one key both run ``create``, but only one commits: the other hits the
    unique key, rolls back what it created and returns the first response.
    """
    if key is None:
        return create()
    _check_key(key)
    token = request.api_token  # type: ignore[attr-defined]
    fingerprint = _fingerprint(request)
    IdempotencyRecord.objects.filter(token=token, created_at__lt=timezone.now() - RETENTION).delete()
    stored = IdempotencyRecord.objects.filter(token=token, key=key).first()
    if stored is not None:
        return _replay(request, stored, fingerprint)

    try:
        with transaction.atomic():
            response = create()
            if 200 <= response.status_code < 300:
                try:
                    with transaction.atomic():
                        IdempotencyRecord.objects.create(
                            token=token,
                            key=key,
                            fingerprint=fingerprint,
                            status_code=response.status_code,
                            content_type=response["Content-Type"],
                            body=response.content,
                            location=response.get("Location", ""),
                        )
                except IntegrityError:
                    raise _KeyTaken from None
    except _KeyTaken:
        return _replay(request, IdempotencyRecord.objects.get(token=token, key=key), fingerprint)
    return response
