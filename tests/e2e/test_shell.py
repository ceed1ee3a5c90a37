from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_placeholder_page_renders_in_chromium(live_server, page):
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Relief"
    assert page.title() == "Relief"


def test_api_docs_render_with_no_internet(live_server, page):
    """Swagger UI comes from the installed sidecar package, not a CDN."""
    external: list[str] = []
    page.on(
        "request",
        lambda req: external.append(req.url) if not req.url.startswith(live_server.url) else None,
    )
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector("text=Relief API", timeout=15000)
    page.wait_for_selector("text=/api/v1/auth/token/", timeout=15000)
    assert external == []
