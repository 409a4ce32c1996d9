"""Errors as RFC 9457 problem details (``application/problem+json``), with French messages."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are URNs: stable identifiers that docs/api.md lists, not pages to fetch.
TYPE_PREFIX = "urn:ardoise:problem:"


class ApiProblem(Exception):
    """An error returned as a problem document; ``errors`` lists ``{"field", "message"}`` pairs."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str = "",
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail or title
        self.errors = errors or []
        self.headers = headers or {}

    def to_response(self, request: HttpRequest) -> HttpResponse:
        document: dict[str, Any] = {
            "type": TYPE_PREFIX + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": request.path,
            "errors": self.errors,
        }
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False), status=self.status, content_type=PROBLEM_CONTENT_TYPE
        )
        for name, value in self.headers.items():
            response[name] = value
        return response


def validation_problem(errors: list[dict[str, Any]], detail: str = "") -> ApiProblem:
    return ApiProblem(
        422,
        "validation-error",
        _("Données invalides"),
        detail or _("La requête contient des valeurs invalides : corrigez les champs listés dans « errors »."),
        errors=errors,
    )


def not_found() -> ApiProblem:
    return ApiProblem(404, "not-found", _("Introuvable"), _("Cette ressource n'existe pas dans votre entreprise."))


def conflict(detail: str, errors: list[dict[str, Any]] | None = None) -> ApiProblem:
    return ApiProblem(409, "conflict", _("Opération impossible dans l'état actuel"), detail, errors=errors)


def form_errors(form: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Return a bound form's errors as ``{"field", "message"}`` pairs; a form-wide error has a null field."""
    result: list[dict[str, Any]] = []
    for name, messages in form.errors.get_json_data().items():
        field = None if name == "__all__" else prefix + name
        result.extend({"field": field, "message": item["message"]} for item in messages)
    return result


# French messages for pydantic's error types, by type name; the others get a generic message.
_PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("Ce champ est obligatoire."),
    "extra_forbidden": gettext_lazy("Ce champ n'existe pas : retirez-le."),
    "string_type": gettext_lazy("Une chaîne de caractères est attendue."),
    "int_type": gettext_lazy("Un nombre entier est attendu."),
    "int_parsing": gettext_lazy("Un nombre entier est attendu."),
    "int_from_float": gettext_lazy("Un nombre entier est attendu."),
    "bool_type": gettext_lazy("Un booléen (true ou false) est attendu."),
    "bool_parsing": gettext_lazy("Un booléen (true ou false) est attendu."),
    "decimal_type": gettext_lazy('Un nombre décimal est attendu, par exemple "12.50".'),
    "decimal_parsing": gettext_lazy('Un nombre décimal est attendu, par exemple "12.50".'),
    "date_type": gettext_lazy("Une date au format AAAA-MM-JJ est attendue."),
    "date_parsing": gettext_lazy("Une date au format AAAA-MM-JJ est attendue."),
    "date_from_datetime_parsing": gettext_lazy("Une date au format AAAA-MM-JJ est attendue."),
    "list_type": gettext_lazy("Une liste est attendue."),
    "dict_type": gettext_lazy("Un objet JSON est attendu."),
    "model_type": gettext_lazy("Un objet JSON est attendu."),
    "model_attributes_type": gettext_lazy("Un objet JSON est attendu."),
    "json_invalid": gettext_lazy("Le corps de la requête n'est pas un JSON valide."),
    "literal_error": gettext_lazy("Valeur non autorisée."),
    "enum": gettext_lazy("Valeur non autorisée."),
    "string_too_long": gettext_lazy("Texte trop long."),
    "string_too_short": gettext_lazy("Texte trop court."),
    "greater_than_equal": gettext_lazy("Valeur trop petite."),
    "greater_than": gettext_lazy("Valeur trop petite."),
    "less_than_equal": gettext_lazy("Valeur trop grande."),
    "less_than": gettext_lazy("Valeur trop grande."),
    "too_long": gettext_lazy("Liste trop longue."),
    "too_short": gettext_lazy("Liste trop courte."),
}


def pydantic_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Translate ninja's validation errors into ``{"field", "message"}`` pairs with French messages."""
    result = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        # The first element is where the value came from (body, query, path, header).
        source, path = (location[0], location[1:]) if location else ("", [])
        if source == "body" and path and path[0] == "payload":
            path = path[1:]
        field = ".".join(path) or None
        message = str(_PYDANTIC_MESSAGES.get(error.get("type", "")) or _("Valeur invalide."))
        if source in ("query", "path", "header") and field:
            message = _("Paramètre « %(name)s » : %(message)s") % {"name": field, "message": message}
        result.append({"field": field, "message": message})
    return result
