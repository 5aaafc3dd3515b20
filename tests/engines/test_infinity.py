"""infinity (infinity-emb 0.0.78, torch engine, all-MiniLM-L6-v2) registered by url: detected by its
``/models``, vectors equal to its own, an ordinary document embedded (infinity truncates by itself)."""

from __future__ import annotations

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
