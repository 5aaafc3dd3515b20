"""Streaming from a real local model (SmolLM2-135M-Instruct) in the playground, token by token."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from tests.api.ui.conftest import put_endpoint, screenshot


def test_local_model_reply_streams_in_token_by_token(page: Page, base_url: str) -> None:
    if httpx.get(f"{base_url}/_inference/ui-smollm").status_code == 404:
        put_endpoint(
            base_url,
            "chat_completion/ui-smollm",
            {"service": "local", "service_settings": {"model": "HuggingFaceTB/SmolLM2-135M-Instruct"}},
        )
    page.goto(f"{base_url}/ui/endpoints/ui-smollm/playground")
    page.get_by_label("Your message").fill("Say hello in five words.")
    page.get_by_label("Max new tokens").fill("12")
    page.get_by_label("Temperature").fill("0")
    # Record when each token reaches the page: a real model produces them over time, not at once.
    page.evaluate(
        """() => {
            window.tokenTimes = [];
            new MutationObserver((records) => {
                for (const r of records) if ([...r.addedNodes].some((n) => n.classList?.contains("token")))
                    window.tokenTimes.push(performance.now());
            }).observe(document.getElementById("conversation"), { childList: true, subtree: true });
        }"""
    )
    started = time.monotonic()
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#gen-status")).to_contain_text("Done:", timeout=60_000)
    times: list[float] = page.evaluate("window.tokenTimes")
    assert len(times) >= 3, f"only {len(times)} tokens arrived in {time.monotonic() - started:.1f}s"
    assert len({round(t) for t in times}) >= 3, "the tokens arrived together, not one by one"
    screenshot(page, "playground-local-chat")
