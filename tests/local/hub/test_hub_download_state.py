"""Downloads never hold a request: the endpoint exists at once, shows its progress, answers 503 with
Retry-After until its model is there, and two creates of one model fetch it once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from hfgate.config import Settings
from tests.conftest import app_client
from tests.local.hub.conftest import TINY, wait_until_served
from tests.support.hub_server import TestHub

CREATE = {"service": "local", "service_settings": {"model": TINY, "engine": "torch"}}


async def model_state(client: httpx.AsyncClient, inference_id: str) -> dict[str, Any]:
    listed = (await client.get(f"/_inference/{inference_id}")).json()["endpoints"][0]
    state: dict[str, Any] = listed["service_settings"]["model_state"]
    return state


async def wait_for_bytes(client: httpx.AsyncClient, inference_id: str) -> dict[str, Any]:
    """The state once some bytes are counted (the small files come before the held weights)."""
    deadline = time.monotonic() + 30
    while True:
        state = await model_state(client, inference_id)
        if state.get("bytes_done", 0) > 0 or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.05)


async def test_the_endpoint_exists_while_its_model_downloads_and_calls_get_503_with_retry_after(
    hub: TestHub, hub_settings: Settings
) -> None:
    hub.hold.clear()  # the weights stop half-way until the test lets them go
    try:
        async with app_client(hub_settings) as client:
            created = await client.put("/_inference/text_embedding/tiny", json=CREATE)
            assert created.status_code == 200, created.text
            state = await wait_for_bytes(client, "tiny")
            assert state["state"] == "downloading"
            assert 0 < state["bytes_done"] < state["bytes_total"]
            early = await client.post("/_inference/text_embedding/tiny", json={"input": ["too soon"]})
            assert early.status_code == 503, early.text
            assert early.headers["Retry-After"] == "5"
            assert "downloading" in early.json()["error"]["reason"]
            openai = await client.post("/v1/embeddings", json={"model": "tiny", "input": "too soon"})
            assert openai.status_code == 503
            assert openai.headers["Retry-After"] == "5"
            ready = (await client.get("/ready")).json()
            assert ready["models"]["tiny"]["state"] == "downloading"
            page = (await client.get("/ui/")).text
            assert '<progress data-progress-for="tiny"' in page
            hub.hold.set()
            await wait_until_served(client, "tiny")
            assert (await model_state(client, "tiny"))["state"] == "ready"
    finally:
        hub.hold.set()


async def test_two_creates_of_one_model_fetch_its_weights_once(hub: TestHub, hub_settings: Settings) -> None:
    hub.hold.clear()
    try:
        async with app_client(hub_settings) as client:
            first, second = await asyncio.gather(
                client.put("/_inference/text_embedding/one", json=CREATE),
                client.put("/_inference/text_embedding/two", json=CREATE),
            )
            assert first.status_code == second.status_code == 200, (first.text, second.text)
            hub.hold.set()
            await wait_until_served(client, "one")
            await wait_until_served(client, "two")
    finally:
        hub.hold.set()
    assert len(hub.gets("/model.safetensors")) == 1
