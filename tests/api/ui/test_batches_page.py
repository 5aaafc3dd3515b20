"""The batches page in a real browser: a finished batch with its counts and its output to download, and a
running one cancelled from the page (its server runs no batch runner, so the batch stays where the test left it)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from playwright.sync_api import Page, expect

from hfgate.services import ServiceContext
from tests.api.ui.conftest import screenshot, server_settings
from tests.fakes.hf_server import FakeHF
from tests.support.live_server import live_server

TEXTS = ["the quick brown fox", "a lazy dog", "hello world"]


def _start(base: str, texts: list[str]) -> str:
    """A batch embedding ``texts`` on the default MiniLM endpoint, made through the API; its id."""
    lines = b"".join(orjson.dumps({"custom_id": f"c{n}", "method": "POST", "url": "/v1/embeddings",
                                   "body": {"model": ".all-minilm-l6-v2", "input": text}}) + b"\n"
                     for n, text in enumerate(texts))  # fmt: skip
    made = httpx.post(f"{base}/v1/files", data={"purpose": "batch"}, files={"file": ("in.jsonl", io.BytesIO(lines))})
    assert made.status_code == 200, made.text
    body = {"input_file_id": made.json()["id"], "endpoint": "/v1/embeddings", "completion_window": "24h"}
    batch = httpx.post(f"{base}/v1/batches", json=body, timeout=60)
    assert batch.status_code == 200, batch.text
    return str(batch.json()["id"])


@pytest.fixture(scope="module")
def idle_url(
    tmp_path_factory: pytest.TempPathFactory, shared_context: ServiceContext, fake_hf_server: FakeHF
) -> Iterator[str]:
    """An hfgate whose batches never run (no runner): they stay ``in_progress`` until cancelled."""
    settings = server_settings(tmp_path_factory.mktemp("ui-batches"), fake_hf_server.base, batch_runner=False)
    with live_server(settings, context=shared_context) as url:
        yield url


def test_a_finished_batch_shows_its_counts_and_its_output_downloads(page: Page, base_url: str, tmp_path: Path) -> None:
    batch_id = _start(base_url, TEXTS)
    deadline = time.monotonic() + 120
    while httpx.get(f"{base_url}/v1/batches/{batch_id}").json()["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    page.goto(f"{base_url}/ui/batches")
    row = page.locator(f'tr[data-batch="{batch_id}"]')
    expect(row.locator(".batch-status")).to_have_text("completed")
    expect(row.locator(".batch-counts")).to_have_text("3 of 3 (0 failed)")
    expect(row.get_by_role("button", name="Cancel")).to_have_count(0)
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # nothing running: no refresh
    with page.expect_download() as caught:
        row.get_by_role("link", name="Output").click()
    saved = tmp_path / "output.jsonl"
    caught.value.save_as(saved)
    answered = [orjson.loads(line) for line in saved.read_bytes().splitlines()]
    assert [line["custom_id"] for line in answered] == ["c0", "c1", "c2"]
    screenshot(page, "batches")


def test_a_running_batch_is_cancelled_from_the_page(page: Page, idle_url: str) -> None:
    batch_id = _start(idle_url, TEXTS)
    page.goto(f"{idle_url}/ui/batches")
    row = page.locator(f'tr[data-batch="{batch_id}"]')
    expect(row.locator(".batch-status")).to_have_text("in_progress")
    expect(row.locator(".batch-counts")).to_have_text("0 of 3 (0 failed)")
    assert page.locator('meta[http-equiv="refresh"]').count() == 1  # it refreshes itself while a batch runs
    row.get_by_role("button", name="Cancel").click()
    expect(row.locator(".batch-status")).to_have_text("cancelling")
    expect(row.get_by_role("button", name="Cancel")).to_have_count(0)
    assert httpx.get(f"{idle_url}/v1/batches/{batch_id}").json()["status"] == "cancelling"
