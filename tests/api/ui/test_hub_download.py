"""The page shows a Hub model's download as a progress bar that follows it, then the ready endpoint."""

from __future__ import annotations

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
