"""The ``local`` service embeds images and texts in one space with an image-and-text model (CLIP as
sentence-transformers saves it): the vectors equal sentence-transformers' own ``encode`` within 1e-4, over
Elasticsearch's ``embedding`` task; the cache keys an image by its bytes; the limits and refusals name
the item."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from tests.conftest import app_client
from tests.support.tiny_clip import data_uri, png, save_legacy_clip, save_tiny_clip

pytest.importorskip("PIL", reason="images need Pillow (the local extra)")

CAT = "a cat"


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


@pytest.fixture(scope="module")
def reference(clip_dir: Path) -> dict[str, list[float]]:
    """sentence-transformers' own vectors for the text and the two images the tests send."""
    import io

    from PIL import Image
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(clip_dir), device="cpu")
    images = [Image.open(io.BytesIO(png(40, 30, seed=s))).convert("RGB") for s in (1, 2)]
    text = model.encode([CAT]).tolist()[0]
    first, second = model.encode(images).tolist()
    uri_as_text = model.encode([data_uri(png(40, 30, seed=1))]).tolist()[0]
    return {"text": text, "image1": first, "image2": second, "uri_as_text": uri_as_text}


@pytest.fixture
async def api(tmp_path: Path, clip_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path / "data",
        log_format="text",
        registry_cache_seconds=0,
        provision_defaults=False,
        embed_cache=True,
    )
    async with app_client(settings) as client:
        body = {"service": "local", "service_settings": {"model": str(clip_dir)}}
        created = await client.put("/_inference/embedding/clip", json=body)
        assert created.status_code == 200, created.text
        yield client


def image(seed: int) -> dict[str, Any]:
    return {"content": {"type": "image", "format": "base64", "value": data_uri(png(40, 30, seed=seed))}}


def vectors(answer: httpx.Response) -> list[list[float]]:
    assert answer.status_code == 200, answer.text
    return [item["embedding"] for item in answer.json()["embeddings"]]


async def test_a_text_and_images_equal_sentence_transformers_vectors(
    api: httpx.AsyncClient, reference: dict[str, list[float]]
) -> None:
    body = {"input": [{"content": {"type": "text", "value": CAT}}, image(1), {"content": [image(2)["content"]]}]}
    text, first, second = vectors(await api.post("/_inference/embedding/clip", json=body))
    assert text == pytest.approx(reference["text"], abs=1e-4)
    assert first == pytest.approx(reference["image1"], abs=1e-4)
    assert second == pytest.approx(reference["image2"], abs=1e-4)
    plain = await api.post("/_inference/text_embedding/clip", json={"input": [CAT]})
    assert plain.json()["text_embedding"][0]["embedding"] == pytest.approx(reference["text"], abs=1e-4)


async def test_the_cache_keys_an_image_by_its_bytes_never_as_a_text(
    api: httpx.AsyncClient, reference: dict[str, list[float]]
) -> None:
    first = await api.post("/_inference/embedding/clip", json={"input": [image(1)]})
    again = await api.post("/_inference/embedding/clip", json={"input": ["x", image(1)]})
    assert (first.headers["X-HFGate-Cache"], again.headers["X-HFGate-Cache"]) == ("miss", "partial")
    assert vectors(again)[1] == vectors(first)[0]
    # the same characters as text: the text's vector, computed, not the image's from the cache
    uri = image(1)["content"]["value"]
    as_text = await api.post("/_inference/embedding/clip", json={"input": [uri]})
    assert vectors(as_text)[0] == pytest.approx(reference["uri_as_text"], abs=1e-4)
    assert as_text.headers["X-HFGate-Cache"] == "miss"


@pytest.mark.parametrize(
    ("value", "status", "named"),
    [
        ("data:image/png;base64,AAAA", 400, "Field [input][1].content is not an image PIL can read"),
        ("iVBORw0KGgo=", 400, "Field [input][1].content.value must be a base64 data URI"),
        ("data:image/png;base64,%%%", 400, "Field [input][1].content.value is not valid base64"),
    ],
)
async def test_what_is_not_an_image_is_a_400_naming_the_item(
    api: httpx.AsyncClient, value: str, status: int, named: str
) -> None:
    item = {"content": {"type": "image", "format": "base64", "value": value}}
    answer = await api.post("/_inference/embedding/clip", json={"input": ["fine", item]})
    assert answer.status_code == status, answer.text
    assert named in answer.json()["error"]["reason"]


async def test_too_many_pixels_is_a_400_and_too_many_bytes_a_413_naming_the_limit(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hfgate.images.MAX_IMAGE_PIXELS", 1000)
    pixels = await api.post("/_inference/embedding/clip", json={"input": [image(1)]})
    assert pixels.status_code == 400, pixels.text
    assert "Field [input][0].content is an image of [40x30] = [1200] pixels; the most is [1000]" in pixels.text
    monkeypatch.setattr("hfgate.images.MAX_IMAGE_BYTES", 100)
    size = await api.post("/_inference/embedding/clip", json={"input": [image(2)]})
    assert size.status_code == 413, size.text
    assert "Field [input][0].content.value holds an image of about" in size.text
    assert "the most is [100]" in size.text


async def test_another_engine_than_torch_is_refused_naming_the_setting(api: httpx.AsyncClient, clip_dir: Path) -> None:
    body = {"service": "local", "service_settings": {"model": str(clip_dir), "engine": "onnx"}}
    refused = await api.put("/_inference/embedding/clip-onnx", json=body)
    assert refused.status_code == 400, refused.text
    assert "[service_settings.engine] [onnx] cannot run the image-and-text model" in refused.text


async def test_openai_embeddings_take_vllm_messages_with_one_image_or_text(
    api: httpx.AsyncClient, reference: dict[str, list[float]]
) -> None:
    url = data_uri(png(40, 30, seed=1))
    parts = [{"type": "image_url", "image_url": {"url": url}}]
    answer = await api.post("/v1/embeddings", json={"model": "clip", "messages": [{"role": "user", "content": parts}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"][0]["embedding"] == pytest.approx(reference["image1"], abs=1e-4)
    said = await api.post("/v1/embeddings", json={"model": "clip", "messages": [{"role": "user", "content": CAT}]})
    assert said.json()["data"][0]["embedding"] == pytest.approx(reference["text"], abs=1e-4)
    two = [*parts, {"type": "text", "text": CAT}]
    refused = await api.post("/v1/embeddings", json={"model": "clip", "messages": [{"role": "user", "content": two}]})
    assert refused.status_code == 400
    assert "[messages] hold [2] content parts" in refused.json()["error"]["message"]
    remote = [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]
    fetched = await api.post("/v1/embeddings", json={"model": "clip", "messages": [{"content": remote}]})
    assert fetched.status_code == 400
    assert "messages[0].content[0].image_url.url must be a base64 data URI" in fetched.json()["error"]["message"]


async def test_gemini_embed_content_takes_an_inline_image(
    api: httpx.AsyncClient, reference: dict[str, list[float]]
) -> None:
    blob = {"mimeType": "image/png", "data": data_uri(png(40, 30, seed=2)).split(",", 1)[1]}
    answer = await api.post("/v1beta/models/clip:embedContent", json={"content": {"parts": [{"inlineData": blob}]}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["embedding"]["values"] == pytest.approx(reference["image2"], abs=1e-4)


async def test_a_text_model_refuses_an_image_on_every_face_naming_the_field(api: httpx.AsyncClient) -> None:
    body = {
        "service": "local",
        "service_settings": {"model": "sentence-transformers/all-MiniLM-L6-v2", "engine": "torch"},
    }
    assert (await api.put("/_inference/text_embedding/mini", json=body)).status_code == 200
    parts = [{"type": "image_url", "image_url": {"url": data_uri(png(4, 4))}}]
    openai = await api.post("/v1/embeddings", json={"model": "mini", "messages": [{"content": parts}]})
    assert openai.status_code == 400
    assert "Field messages[0].content[0].type [image] is not supported" in openai.json()["error"]["message"]
    blob = {"mimeType": "image/png", "data": data_uri(png(4, 4)).split(",", 1)[1]}
    gemini = await api.post("/v1beta/models/mini:embedContent", json={"content": {"parts": [{"inlineData": blob}]}})
    assert gemini.status_code == 400
    assert "Field content.parts[0].inlineData.mimeType [image] is not supported" in gemini.json()["error"]["message"]


async def test_the_hub_layout_of_clip_vit_b_32_a_legacy_clip_module_serves_the_same_vectors(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    import io

    from PIL import Image
    from sentence_transformers import SentenceTransformer

    legacy = save_legacy_clip(tmp_path / "legacy-clip")
    model = SentenceTransformer(str(legacy), device="cpu")
    expected = [*model.encode([CAT]).tolist(), *model.encode([Image.open(io.BytesIO(png(40, 30, seed=1)))]).tolist()]
    body = {"service": "local", "service_settings": {"model": str(legacy)}}
    assert (await api.put("/_inference/embedding/clip-legacy", json=body)).status_code == 200
    answer = await api.post("/_inference/embedding/clip-legacy", json={"input": [CAT, image(1)]})
    for got, want in zip(vectors(answer), expected, strict=True):
        assert got == pytest.approx(want, abs=1e-4)


async def test_usage_counts_the_texts_tokens_and_no_token_for_an_image(api: httpx.AsyncClient) -> None:
    parts = [{"type": "image_url", "image_url": {"url": data_uri(png(40, 30, seed=1))}}]
    image_only = await api.post("/v1/embeddings", json={"model": "clip", "messages": [{"content": parts}]})
    text_only = await api.post("/v1/embeddings", json={"model": "clip", "input": CAT})
    assert image_only.json()["usage"]["prompt_tokens"] == 0
    assert text_only.json()["usage"]["prompt_tokens"] > 0
