"""The page shows a Hub model's download as a progress bar that follows it, then the ready endpoint."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from hfgate.config import Settings
from tests.api.ui.conftest import put_endpoint
from tests.local.hub.conftest import TINY, hub, hub_models, hub_reachable, hub_settings  # noqa: F401 - fixtures
from tests.support.hub_server import TestHub
from tests.support.live_server import live_server


def test_the_endpoints_page_shows_a_download_progress_bar_until_the_model_is_ready(
    page: Page,
    hub: TestHub,  # noqa: F811 - the fixture imported above
    hub_settings: Settings,  # noqa: F811
) -> None:
    hub.hold.clear()  # the weights stop half-way until the test lets them go
    try:
        with live_server(hub_settings) as url:
            put_endpoint(
                url, "text_embedding/tiny", {"service": "local", "service_settings": {"model": TINY, "engine": "torch"}}
            )
            page.goto(f"{url}/ui/")
            bar = page.locator('progress[data-progress-for="tiny"]')
            expect(bar).to_be_visible()
            expect(page.locator('tr[data-id="tiny"] .model-state')).to_contain_text("Downloading the model")
            assert int(bar.get_attribute("max") or 0) > int(bar.get_attribute("value") or 0) > 0
            page.goto(f"{url}/ui/endpoints/tiny")
            expect(page.locator('progress[data-progress-for="tiny"]')).to_be_visible()
            hub.hold.set()
            expect(page.locator(".model-state")).to_have_count(0, timeout=60_000)  # reloaded once ready
    finally:
        hub.hold.set()


def test_the_add_form_takes_a_gated_hub_models_token_for_a_local_endpoint(
    page: Page,
    hub: TestHub,  # noqa: F811
    hub_settings: Settings,  # noqa: F811
    hub_models: dict[str, Path],  # noqa: F811
) -> None:
    hub.add("test-org/gated-bert", hub_models["tiny"], gated_token="hf_gated_test")
    with live_server(hub_settings) as url:
        page.goto(f"{url}/ui/new")
        page.get_by_label("Embeddings", exact=True).check()
        page.get_by_label("Local model, run by hfgate itself").check()
        page.get_by_label("Endpoint id").fill("gated")
        page.get_by_label("Model id or directory").fill("test-org/gated-bert")
        page.get_by_label("Hugging Face access token").fill("hf_gated_test")
        page.get_by_role("button", name="Check and add").click()
        expect(page.locator("#outcome-title")).to_have_text("Endpoint gated added", timeout=60_000)
        listed = httpx.get(f"{url}/_inference/gated", timeout=30).json()["endpoints"][0]
    assert listed["service_settings"]["model"] == "test-org/gated-bert"
    assert "api_key" not in listed["service_settings"], "kept as a secret"
    assert hub.gets("/config.json"), "the Hub answered the form's token"
