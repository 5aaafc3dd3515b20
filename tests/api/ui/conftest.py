"""A live hfgate with its web page, Debian's Chromium driven by Playwright, and screenshots.

The browser is the system's ``/usr/bin/chromium`` (package ``chromium``): Playwright's own browser
download cannot run here, so ``make test`` installs the Debian package instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.fakes.hf_fixtures import fake_hf_server
from tests.fakes.hf_server import FakeHF
from tests.support.live_server import live_server

__all__ = ["fake_hf_server"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
API_KEY = "ui-test-key"


def server_settings(data_dir: Path, fake_base: str, **extra: object) -> Settings:
    """Settings whose Hugging Face URLs point at the fake upstream on 127.0.0.1."""
    return Settings(
        data_dir=data_dir,
        log_format="text",
        log_level="warning",
        registry_cache_seconds=0,
        hf_inference_url=f"{fake_base}/hf-inference",
        hf_hub_url=f"{fake_base}/hub",
        hf_endpoints_url=f"{fake_base}/endpoints/v2",
        **extra,
    )


@pytest.fixture(scope="package")
def base_url(
    tmp_path_factory: pytest.TempPathFactory, shared_context: ServiceContext, fake_hf_server: FakeHF
) -> Iterator[str]:
    """One hfgate with the page, no gateway keys, for every open-access browser test."""
    settings = server_settings(tmp_path_factory.mktemp("ui-data"), fake_hf_server.base)
    with live_server(settings, context=shared_context) as url:
        yield url


@pytest.fixture(scope="package")
def keyed_url(
    tmp_path_factory: pytest.TempPathFactory, shared_context: ServiceContext, fake_hf_server: FakeHF
) -> Iterator[str]:
    """An hfgate that requires the gateway key ``API_KEY``."""
    settings = server_settings(tmp_path_factory.mktemp("ui-keyed"), fake_hf_server.base, api_keys=[API_KEY])
    with live_server(settings, context=shared_context) as url:
        yield url


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `apt-get install -y chromium` (make test installs it)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab (own cookies); console errors fail the test."""
    context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        context.close()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def put_endpoint(base: str, path: str, body: dict[str, object]) -> None:
    """Create an endpoint through the API (set-up for tests about other pages)."""
    response = httpx.put(f"{base}/_inference/{path}", json=body, timeout=60)
    assert response.status_code == 200, response.text
