"""elasticsearch-py 9.5 (installed apart) against a live hfgate: ``inference.put`` an ``embedding`` endpoint
on an image-and-text model (a tiny random CLIP as sentence-transformers saves it), ``inference.embedding``
with a text and a PNG, and ``inference.inference``; the vectors equal sentence-transformers' own within 1e-4."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hfgate.config import Settings
from tests.support.apart import run_client
from tests.support.live_server import live_server
from tests.support.tiny_clip import data_uri, png, save_tiny_clip

pytest.importorskip("PIL", reason="images need Pillow (the local extra)")


def test_the_9x_client_embeds_a_text_and_an_image_as_sentence_transformers_does(tmp_path: Path) -> None:
    from PIL import Image
    from sentence_transformers import SentenceTransformer

    clip = save_tiny_clip(tmp_path / "clip")
    model = SentenceTransformer(str(clip), device="cpu")
    expected = [*model.encode(["a cat"]).tolist(), *model.encode([Image.open(io.BytesIO(png(40, 30)))]).tolist()]
    settings = Settings(data_dir=tmp_path / "data", log_format="text", log_level="warning", provision_defaults=False)
    with live_server(settings) as url:
        answers = run_client("es9", "es_images.py", url, str(clip), data_uri(png(40, 30)))
    assert answers["client"].startswith("9.")
    assert answers["put"]["task_type"] == "embedding"
    got = [item["embedding"] for item in answers["embedding"]["embeddings"]]
    for vector, want in zip(got, expected, strict=True):
        assert vector == pytest.approx(want, abs=1e-4)
    assert answers["inference"]["embeddings"][0]["embedding"] == pytest.approx(expected[0], abs=1e-4)
    assert answers["delete"]["acknowledged"] is True
