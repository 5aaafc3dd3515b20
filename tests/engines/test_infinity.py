"""infinity (infinity-emb 0.0.78, torch engine, all-MiniLM-L6-v2) registered by url: detected by its
``/models``, vectors equal to its own, an ordinary document embedded (infinity truncates by itself), and
its overload answer mapped to hfgate's rate-limit error."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.engines.helpers import assert_close, document, engine_vectors, register
from tests.support.engine_servers import MINILM

pytestmark = pytest.mark.engines
TEXTS = ["The quick brown fox.", "A sentence about databases and vectors.", "ok"]


async def test_infinity_is_detected_by_its_model_list(api: httpx.AsyncClient, infinity: str) -> None:
    created = await register(api, "text_embedding", "i", url=infinity)
    settings = created.json()["service_settings"]
    assert (settings["engine"], settings["model_name"], settings["dimensions"]) == ("infinity", MINILM, 384)


async def test_vectors_equal_infinitys_own(api: httpx.AsyncClient, engine: httpx.AsyncClient, infinity: str) -> None:
    await register(api, "text_embedding", "i", url=infinity)
    ours = (await api.post("/_inference/text_embedding/i", json={"input": TEXTS})).json()["text_embedding"]
    assert_close([item["embedding"] for item in ours], await engine_vectors(engine, f"{infinity}/embeddings", TEXTS))


async def test_usage_counts_tokens_where_infinity_counts_characters(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, infinity: str
) -> None:
    await register(api, "text_embedding", "i", url=infinity)
    ours = (await api.post("/v1/embeddings", json={"model": "i", "input": ["a b"]})).json()
    theirs = (await engine.post(f"{infinity}/embeddings", json={"model": MINILM, "input": ["a b"]})).json()
    assert theirs["usage"]["prompt_tokens"] == 3  # len("a b"): characters
    assert ours["usage"]["prompt_tokens"] == 4  # [CLS] a b [SEP]


async def test_an_ordinary_document_is_embedded(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, infinity: str
) -> None:
    await register(api, "text_embedding", "i", url=infinity)
    text = document(60)
    plain = await api.post("/_inference/text_embedding/i", json={"input": [text]})
    assert plain.status_code == 200, plain.text
    theirs = await engine_vectors(engine, f"{infinity}/embeddings", [text])
    assert_close([plain.json()["text_embedding"][0]["embedding"]], theirs)


async def test_an_overloaded_infinity_is_retried_then_answered_as_hfgates_rate_limit_error(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, infinity_small_queue: str
) -> None:
    # infinity 0.0.78 refuses a request while more texts wait in its queue than INFINITY_QUEUE_SIZE:
    # 429 {"error": {"message": "model … is currently overloaded", …}} (seen here, infinity_server.py)
    url = infinity_small_queue
    await register(api, "text_embedding", "busy", url=url)
    # 1,000 texts of ~250 tokens (the model's window): 20-40 s of work for infinity on 2 cores, so its queue
    # stays past 8 through both faces' retries (~5 s each); 2,000 short sentences drained in ~3 s on CI
    # and hfgate's last retry was answered
    text = " ".join(["A sentence of a dozen words about vectors, search and the engines that serve them."] * 15)
    burden = asyncio.ensure_future(engine.post(f"{url}/embeddings", json={"model": MINILM, "input": [text] * 1000}))
    try:
        assert await _overloaded(engine, url, within=60), "infinity never reported an overload"
        started = time.monotonic()
        answer = await api.post("/_inference/text_embedding/busy", json={"input": ["hello"]})
        waited = time.monotonic() - started
        assert answer.status_code == 429, answer.text[:300]
        reason = answer.json()["error"]["reason"]
        assert "status [429]" in reason
        assert "is currently overloaded" in reason
        assert waited >= 0.9, "hfgate retried (backoff 1 s, then 2 s, each with up to half of it random)"
        openai = await api.post("/v1/embeddings", json={"model": "busy", "input": "hello"})
        assert openai.status_code == 429, openai.text[:300]
        assert "is currently overloaded" in openai.json()["error"]["message"]
    finally:
        burden.cancel()  # the server, and the texts queued on it, stop with the fixture


async def _overloaded(engine: httpx.AsyncClient, url: str, *, within: float) -> bool:
    """Whether infinity at ``url`` came to refuse a one-text request within ``within`` seconds; its refusal
    is a 429 "model … is currently overloaded" (checked)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        probe = await engine.post(f"{url}/embeddings", json={"model": MINILM, "input": ["probe"]})
        if probe.status_code == 429:
            assert "is currently overloaded" in probe.text
            return True
        await asyncio.sleep(0.05)
    return False
