"""The REST API, version 1: a django-ninja application mounted at ``/api/v1/``."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ardoise.api.auth import read_auth
from ardoise.api.problems import ApiProblem, not_found, pydantic_errors, validation_problem
from ardoise.api.schema import document_problems

logger = logging.getLogger(__name__)


class ArdoiseAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return document_problems(super().get_openapi_schema(*args, **kwargs))

    @property
    def urls(self) -> Any:
        patterns, app_name, namespace = super().urls
        # Programs authenticate with a token, not a session: the login redirect must not apply.
        for pattern in patterns:
            pattern.callback.login_required = False  # type: ignore[union-attr]
        return patterns, app_name, namespace


api = ArdoiseAPI(
    title="Ardoise API",
    version="1",
    description=(
        "Clients, articles, devis, factures, avoirs et paiements d'une entreprise Ardoise. "
        "Authentification par jeton (en-tête `Authorization: Bearer <jeton>`), erreurs au format "
        "RFC 9457 (`application/problem+json`). Voir docs/api.md."
    ),
    urls_namespace="api",
    auth=read_auth,
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    token = getattr(request, "api_token", None)
    logger.info(
        "api problem status=%s type=%s method=%s path=%s token=%s",
        exc.status,
        exc.kind,
        request.method,
        request.path,
        token.pk if token is not None else None,
    )
    return exc.to_response(request)


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return validation_problem(pydantic_errors(exc.errors)).to_response(request)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return not_found().to_response(request)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    problem = ApiProblem(
        401,
        "unauthenticated",
        _("Authentification refusée"),
        _("Envoyez votre jeton d'API dans l'en-tête « Authorization: Bearer <jeton> »."),
        headers={"WWW-Authenticate": 'Bearer realm="ardoise"'},
    )
    return problem.to_response(request)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises these for a body it cannot read, such as malformed JSON.
    problem = ApiProblem(
        exc.status_code,
        "bad-request",
        _("Requête invalide"),
        _("Le corps de la requête n'a pas pu être lu : envoyez un objet JSON valide (Content-Type: application/json)."),
    )
    return problem.to_response(request)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("api error method=%s path=%s", request.method, request.path)
    problem = ApiProblem(
        500,
        "server-error",
        _("Erreur interne"),
        _(
            "Une erreur inattendue s'est produite. Elle est enregistrée dans le journal du serveur ; "
            "réessayez plus tard."
        ),
    )
    return problem.to_response(request)


from ardoise.api.endpoints import (  # noqa: E402
    credit_notes,
    customers,
    invoices,
    payments,
    products,
    quote_invoices,
    quotes,
)

api.add_router("/customers", customers.router)
api.add_router("/customers", payments.customer_router)
api.add_router("/products", products.router)
api.add_router("/invoices", invoices.router)
api.add_router("/invoices", credit_notes.invoice_router)
api.add_router("/invoices", payments.invoice_router)
api.add_router("/credit-notes", credit_notes.router)
api.add_router("/payments", payments.router)
api.add_router("/quotes", quotes.router)
api.add_router("/quotes", quote_invoices.router)


@csrf_exempt
@login_not_required
def unknown_path(request: HttpRequest, path: str = "") -> HttpResponse:
    """Return a 404 problem, not the HTML page, for a URL under /api/ that no operation serves."""
    problem = ApiProblem(
        404,
        "not-found",
        _("Introuvable"),
        _("Aucune opération de l'API à cette adresse : voir la liste dans /api/v1/docs."),
    )
    return problem.to_response(request)
