"""Error pages speak French: unknown page, expired form, bad request, refused access, server error;
and every page names its favicon."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults


def text_of(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_unknown_page_in_french(owner_client):
    response = owner_client.get("/cette-page-n-existe-pas/")

    assert response.status_code == 404
    assert "Page introuvable" in text_of(response)
    assert "l'adresse est peut-être mal saisie" in text_of(response)
    assert "Not Found" not in text_of(response)


@pytest.mark.django_db
def test_csrf_failure_explains_expired_form(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(reverse("customers:create"), {"name": "Menuiserie Roux SARL"})

    text = text_of(response)
    assert response.status_code == 403
    assert "Le formulaire n'a pas pu être envoyé" in text
    assert "Votre session a expiré" in text
    assert "rechargez-la, puis envoyez le formulaire à nouveau" in text
    assert "CSRF verification failed" not in text


@pytest.mark.django_db
def test_csrf_failure_offers_login():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {"username": "alice@atelier-dupont.fr", "password": "x"})

    assert response.status_code == 403
    assert "Se reconnecter" in text_of(response)


@pytest.mark.django_db
def test_400_and_403_pages_in_french(rf):
    request = rf.get("/")
    request.user = AnonymousUser()

    bad_request = defaults.bad_request(request, exception=Exception("bad"))
    refused = defaults.permission_denied(request, exception=Exception("no"))

    assert "Requête invalide" in bad_request.content.decode()
    assert "Accès refusé" in refused.content.decode()


# No django_db mark: pytest-django makes any query fail, which proves the page needs no database.
def test_server_error_page_self_contained():
    response = defaults.server_error(RequestFactory().get("/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "Erreur du serveur" in page
    assert "Réessayez dans un instant" in page
    assert '<link rel="stylesheet" href="/static/ardoise/app.css">' in page


@pytest.mark.django_db
def test_pages_link_favicon(owner_client):
    response = owner_client.get(reverse("dashboard:home"))

    assert '<link rel="icon" href="/static/ardoise/favicon.svg" type="image/svg+xml">' in response.content.decode()
    assert finders.find("ardoise/favicon.svg") is not None
