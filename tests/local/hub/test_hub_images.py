"""The image-and-text preset, ``clip-ViT-B-32``, as its repository is laid out on the Hub (the model in a
``0_CLIPModel`` module, nothing at the root but sentence-transformers' files), served by the test Hub with
a tiny random CLIP: fetched by its short name, pinned, then served with the Hub unreachable, its text and
image vectors equal to sentence-transformers' own."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hfgate.config import Settings
from tests.conftest import app_client
from tests.local.hub.conftest import wait_until_served
from tests.support.hub_server import TestHub
from tests.support.tiny_clip import data_uri, png, save_legacy_clip

pytest.importorskip("PIL", reason="images need Pillow (the local extra)")

CLIP = "sentence-transformers/clip-ViT-B-32"


async def test_the_clip_preset_is_fetched_by_its_short_name_and_served_offline(
    hub: TestHub, hub_settings: Settings, tmp_path: Path
) -> None:
    from PIL import Image
    from sentence_transformers import SentenceTransformer

    legacy = save_legacy_clip(tmp_path / "clip")
    hub.add(CLIP, legacy)
    model = SentenceTransformer(str(legacy), device="cpu")
    expected = [*model.encode(["a cat"]).tolist(), *model.encode([Image.open(io.BytesIO(png(40, 30)))]).tolist()]
    body = {"input": ["a cat", {"content": {"type": "image", "format": "base64", "value": data_uri(png(40, 30))}}]}
    async with app_client(hub_settings) as client:
        created = await client.put(
            "/_inference/embedding/clip", json={"service": "local", "service_settings": {"model": "clip-ViT-B-32"}}
        )
        assert created.status_code == 200, created.text
        await wait_until_served(client, "clip")
    offline = hub_settings.model_copy(update={"hf_hub_offline": True, "hf_hub_url": "http://127.0.0.1:9"})
    async with app_client(offline) as client:
        answer = await client.post("/_inference/embedding/clip", json=body)
        assert answer.status_code == 200, answer.text
        got = [item["embedding"] for item in answer.json()["embeddings"]]
    for vector, want in zip(got, expected, strict=True):
        assert vector == pytest.approx(want, abs=1e-4)
    assert not hub.gets("/README.md")
