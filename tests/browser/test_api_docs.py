"""The API docs page renders in Chromium under the strict CSP, with files served locally."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_without_csp_errors(live_server, browser_page):
    page = browser_page
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )

    page.goto(live_server.url + "/api/v1/docs")

    # Swagger UI builds the page from the schema after loading it: slow on a busy machine.
    expect(page.get_by_text("/api/v1/invoices/{invoice_id}/issue")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)
    assert errors == []
    assert outside == []
