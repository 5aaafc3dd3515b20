"""With gateway keys set, the page asks for one, keeps a session cookie, and never puts a key in a URL."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.api.ui.conftest import API_KEY, screenshot


@pytest.fixture
def keyed(keyed_url: str) -> str:
    return keyed_url


def test_the_page_asks_for_a_gateway_key_and_refuses_a_wrong_one(page: Page, keyed: str) -> None:
    page.goto(f"{keyed}/ui/")
    expect(page).to_have_url(f"{keyed}/ui/login?next=/ui/")
    page.get_by_label("Gateway API key").fill("not-the-key")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not one of the gateway's keys")
    expect(page.get_by_label("Gateway API key")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "login-refused")


def test_after_login_the_page_calls_the_api_with_its_session_and_no_key_in_any_url(page: Page, keyed: str) -> None:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(f"{keyed}/ui/endpoints/.all-minilm-l6-v2/playground")
    page.get_by_label("Gateway API key").fill(API_KEY)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{keyed}/ui/endpoints/.all-minilm-l6-v2/playground")
    # _chunk goes through the same gateway check as every API call, without loading a model.
    page.get_by_role("button", name="Show chunks").click()
    expect(page.locator("#chunk-summary")).to_contain_text("Chunks: 1 (strategy: sentence).")
    assert not [url for url in urls if API_KEY in url]
    assert API_KEY not in page.content()

    cookie = next(c for c in page.context.cookies() if c["name"] == "hfgate_ui")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    # The cookie alone is not enough for the API: a page of another site could send it, not the header.
    plain = httpx.get(f"{keyed}/_inference", cookies={"hfgate_ui": cookie["value"]})
    assert plain.status_code == 401

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{keyed}/ui/login")
    page.goto(f"{keyed}/ui/")
    expect(page).to_have_url(f"{keyed}/ui/login?next=/ui/")


def test_the_api_still_needs_a_key_without_the_page_session(keyed: str) -> None:
    assert httpx.get(f"{keyed}/_inference").status_code == 401
    ok = httpx.get(f"{keyed}/_inference", headers={"Authorization": f"Bearer {API_KEY}"})
    assert ok.status_code == 200
    refused = httpx.put(f"{keyed}/ui/api/endpoints/text_embedding/x", json={"service": "local"})
    assert refused.status_code == 401
