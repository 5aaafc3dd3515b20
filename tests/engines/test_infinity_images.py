"""infinity (0.0.78, torch engine) serving an image-and-text model (the tiny random CLIP of
``tests.support.tiny_clip``), registered by url: detected as taking images from its ``/models``
capabilities; texts and images through Elasticsearch's ``embedding`` task and OpenAI's ``/v1/embeddings``
(vLLM's ``messages`` form) equal infinity's own vectors for the same inputs; the cache keys an image by its
bytes; a text-only infinity model refuses an image before any upstream call, naming the item."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from tests.conftest import app_client
from tests.engines.helpers import register
from tests.support.engine_servers import TINY_CLIP
from tests.support.tiny_clip import data_uri, png

pytestmark = pytest.mark.engines
TOLERANCE = 1e-5
CAT = "a cat"


def image(seed: int) -> dict[str, Any]:
    return {"content": {"type": "image", "format": "base64", "value": data_uri(png(40, 30, seed=seed))}}


async def theirs(engine: httpx.AsyncClient, url: str, inputs: list[str], *, modality: str) -> list[list[float]]:
    """infinity's own vectors (``modality`` ``text`` or ``image``: one kind per request)."""
    body = {"model": TINY_CLIP, "input": inputs, "modality": modality}
    answer = await engine.post(f"{url}/embeddings", json=body)
    assert answer.status_code == 200, answer.text
    return [item["embedding"] for item in sorted(answer.json()["data"], key=lambda item: item["index"])]


def assert_close(ours: list[list[float]], expected: list[list[float]]) -> None:
    assert len(ours) == len(expected)
    for a, b in zip(ours, expected, strict=True):
        assert len(a) == len(b)
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= TOLERANCE


@pytest.fixture
async def cached_api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path, provision_defaults=False, registry_cache_seconds=0, log_format="text", embed_cache=True
    )
    async with app_client(settings) as http:
        yield http


async def test_an_image_model_on_infinity_is_recorded_as_taking_images(
    api: httpx.AsyncClient, infinity_clip: str
) -> None:
    created = await register(api, "embedding", "c", url=infinity_clip)
    settings = created.json()["service_settings"]
    assert (settings["engine"], settings["model_name"], settings["takes_images"]) == ("infinity", TINY_CLIP, True)


async def test_texts_and_images_equal_infinitys_own_vectors_on_the_embedding_task(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, infinity_clip: str
) -> None:
    await register(api, "embedding", "c", url=infinity_clip)
    body = {"input": [image(1), CAT, image(2), "a dog"]}
    answer = await api.post("/_inference/embedding/c", json=body)
    assert answer.status_code == 200, answer.text
    ours = [item["embedding"] for item in answer.json()["embeddings"]]
    uris = [image(seed)["content"]["value"] for seed in (1, 2)]
    pictured = await theirs(engine, infinity_clip, uris, modality="image")
    written = await theirs(engine, infinity_clip, [CAT, "a dog"], modality="text")
    assert_close(ours, [pictured[0], written[0], pictured[1], written[1]])


async def test_openai_messages_with_an_image_equal_infinitys_own_vector(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, infinity_clip: str
) -> None:
    await register(api, "text_embedding", "c", url=infinity_clip)
    uri = data_uri(png(40, 30, seed=3))
    parts = [{"type": "image_url", "image_url": {"url": uri}}]
    answer = await api.post("/v1/embeddings", json={"model": "c", "messages": [{"role": "user", "content": parts}]})
    assert answer.status_code == 200, answer.text
    assert_close([answer.json()["data"][0]["embedding"]], await theirs(engine, infinity_clip, [uri], modality="image"))
    said = await api.post("/v1/embeddings", json={"model": "c", "input": [CAT]})
    assert_close([said.json()["data"][0]["embedding"]], await theirs(engine, infinity_clip, [CAT], modality="text"))


async def test_the_cache_keys_an_image_by_its_bytes_never_as_a_text(
    cached_api: httpx.AsyncClient, infinity_clip: str
) -> None:
    await register(cached_api, "embedding", "c", url=infinity_clip)
    first = await cached_api.post("/_inference/embedding/c", json={"input": [image(1)]})
    again = await cached_api.post("/_inference/embedding/c", json={"input": ["x", image(1)]})
    assert (first.headers["X-HFGate-Cache"], again.headers["X-HFGate-Cache"]) == ("miss", "partial")
    assert again.json()["embeddings"][1] == first.json()["embeddings"][0]
    as_text = await cached_api.post("/_inference/embedding/c", json={"input": [image(1)["content"]["value"]]})
    assert as_text.headers["X-HFGate-Cache"] == "miss"
    assert as_text.json()["embeddings"][0] != first.json()["embeddings"][0]


async def test_a_text_model_on_infinity_refuses_an_image_naming_the_item_and_the_engines(
    api: httpx.AsyncClient, infinity: str
) -> None:
    created = await register(api, "embedding", "mini", url=infinity)
    assert created.json()["service_settings"]["takes_images"] is False
    answer = await api.post("/_inference/embedding/mini", json={"input": ["fine", image(1)]})
    assert answer.status_code == 400, answer.text
    reason = answer.json()["error"]["reason"]
    assert "Field [input][1].content.type [image] is not supported" in reason
    assert "an engine that embeds images: infinity" in reason
    parts = [{"type": "image_url", "image_url": {"url": data_uri(png(4, 4))}}]
    openai = await api.post("/v1/embeddings", json={"model": "mini", "messages": [{"content": parts}]})
    assert openai.status_code == 400
    assert "Field messages[0].content[0].type [image] is not supported" in openai.json()["error"]["message"]
