"""The endpoint page says where a loaded local model runs and on which engine (issue #54: device and
``engine_choice`` shown in the API, ``/info`` and the page)."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow  # loads MiniLM


async def test_the_endpoint_page_shows_the_device_and_the_engine_of_a_loaded_local_model(
    client: httpx.AsyncClient,
) -> None:
    body = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2", "engine": "torch"}}
    assert (await client.put("/_inference/text_embedding/runs-on?timeout=300s", json=body)).status_code == 200
    shown = (await client.get("/_inference/runs-on")).json()["endpoints"][0]["service_settings"]
    page = await client.get("/ui/endpoints/runs-on")
    assert page.status_code == 200, page.text
    assert "Runs on" in page.text
    assert f"<code>{shown['device']}</code>: {shown['engine_choice']}" in page.text
    ja = await client.get("/ui/endpoints/runs-on", headers={"Accept-Language": "ja"})
    assert "実行場所" in ja.text


async def test_a_remote_endpoint_page_says_nothing_of_a_device(client: httpx.AsyncClient) -> None:
    body = {"service": "hugging_face", "service_settings": {"url": "http://127.0.0.1:9/", "api_key": "hf_x"}}
    made = await client.put("/_inference/text_embedding/remote?skip_validation=true", json=body)
    assert made.status_code == 200, made.text
    page = await client.get("/ui/endpoints/remote")
    assert page.status_code == 200, page.text
    assert "Runs on" not in page.text
