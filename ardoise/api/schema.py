"""Shared pieces of the API's OpenAPI schema: pagination, problem responses and file downloads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

from ardoise.api.problems import PROBLEM_CONTENT_TYPE

MAX_PER_PAGE = 100
# Database ids are 64-bit; a larger id in a path or filter is rejected before any query.
MAX_ID = 2**63 - 1


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="Numéro de page, à partir de 1.")
    per_page: int = Field(25, ge=1, le=MAX_PER_PAGE, description="Éléments par page, 100 au plus.")


def paginate(queryset: QuerySet[Any], query: PageQuery, serialise: Any) -> dict[str, Any]:
    """Return one page of ``queryset`` as ``{count, page, per_page, items}``; a page past the end is empty."""
    count = queryset.count()
    start = (query.page - 1) * query.per_page
    items = list(queryset[start : start + query.per_page]) if start < count else []
    return {"count": count, "page": query.page, "per_page": query.per_page, "items": [serialise(i) for i in items]}


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {
            "type": "string",
            "description": "Identifiant du type d'erreur, par exemple urn:ardoise:problem:not-found.",
        },
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}},
            },
        },
    },
}

_PROBLEM_STATUSES = {
    "400": "Corps de requête illisible.",
    "401": "Jeton absent, mal formé, inconnu, révoqué ou expiré.",
    "403": "Jeton en lecture seule pour une opération d'écriture.",
    "404": "Ressource introuvable dans l'entreprise du jeton.",
    "409": "Opération impossible dans l'état actuel, ou clé d'idempotence réutilisée.",
    "422": "Données invalides : voir « errors ».",
    "429": "Trop de requêtes : réessayez après le délai de l'en-tête Retry-After.",
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses every operation may give, with ``application/problem+json`` bodies."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            # ninja writes status codes as integers and ``openapi_extra`` as strings: one JSON key each.
            given = operation.get("responses", {})
            responses = {str(status): value for status, value in given.items() if isinstance(status, int)}
            responses.update({status: value for status, value in given.items() if isinstance(status, str)})
            operation["responses"] = responses
            for status, description in _PROBLEM_STATUSES.items():
                response: dict[str, Any] = {
                    "description": description,
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": reference}},
                }
                if status == "429":
                    response["headers"] = {
                        "Retry-After": {"schema": {"type": "integer"}, "description": "Secondes à attendre."}
                    }
                responses[str(status)] = response
    return schema


def file_response(content_type: str, description: str) -> dict[str, Any]:
    """Return the ``openapi_extra`` of an operation that returns a file instead of JSON."""
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }
