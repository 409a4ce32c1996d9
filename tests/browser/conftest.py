"""Debian's Chromium driven by Playwright; skipped when it is missing, an error in CI."""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connections

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def live_server(transactional_db):
    """A live server for one test, stopped before the test database is flushed.

    pytest-django's own fixture keeps one server for the whole session; a server
    per test leaves no request thread running while the tables are emptied.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def browser_page(monkeypatch, tmp_path):
    executable = chromium_path()
    if executable is None:
        message = "Chromium not found: install Debian's package with `apt-get install chromium`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread, which makes Django
    # refuse ORM calls here. The test's own checks are plain synchronous code, so
    # the guard is lifted for browser tests only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(locale="fr-FR", accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # Assertions wait 5 s by default, which a loaded 2-core CI machine can exceed
        # between typing and an htmx refresh; give them the same time as actions.
        expect.set_options(timeout=15_000)
        yield page
        context.close()
        browser.close()
        # ORM calls made by the test while Playwright's sync API runs open a
        # connection of their own. PostgreSQL refuses to drop the test database
        # while it is open, so close it here.
        connections.close_all()


def log_in(page, live_server, email: str, password: str = "motdepasse-solide-42") -> None:
    """Log in through the login form; the session cookie is Secure, which browsers accept on localhost."""
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")
