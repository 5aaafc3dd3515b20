"""Every face on vectors that come as a local model's do: rows of one float32 array (``FloatRows``), not
lists. The fake service is made to answer so; each face must write the rows' values as it writes lists
(a face that hands the rows to orjson whole answers 500), with the embedding cache on and off."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from hfgate.config import Settings
from hfgate.local.embedding.pipeline import float_rows
from hfgate.services import SERVICES
from hfgate.tasks import EmbeddingResult, EmbedRequest, Usage
from tests.conftest import app_client
from tests.fakes.service import FakeModel, FakeService, vector

TEXTS = ["The quick brown fox", "a lazy dog"]
WORDS = {"service": "fake", "service_settings": {"model": "words"}}
WANT = np.asarray([vector(text) for text in TEXTS], dtype=np.float32)


@pytest.fixture(params=[True, False], ids=["cache", "no-cache"])
async def rows_api(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose fake service answers rows of an array, with its ``words`` endpoint, the embedding
    cache on (the suite turns it off elsewhere) or off."""

    async def embed(self: FakeModel, request: EmbedRequest) -> EmbeddingResult:
        vectors = float_rows([vector(text) for text in request.texts], unit=False)
        return EmbeddingResult(embeddings=vectors, usage=Usage(prompt_tokens=len(request.texts)))

    monkeypatch.setitem(SERVICES, FakeService.name, FakeService)
    monkeypatch.setattr(FakeModel, "embed", embed)
    settings = Settings(
        data_dir=tmp_path / "data", log_format="text", provision_defaults=False, embed_cache=request.param
    )
    async with app_client(settings) as http:
        made = await http.put("/_inference/text_embedding/words", json=WORDS)
        assert made.status_code == 200, made.text
        yield http


async def test_the_hf_faces_embed_writes_the_rows_as_lists(rows_api: httpx.AsyncClient) -> None:
    answer = await rows_api.post("/hf/words/embed", json={"inputs": TEXTS})
    assert answer.status_code == 200, answer.text
    assert answer.json() == WANT.tolist()


@pytest.mark.parametrize("encoding", ["float", "base64"])
async def test_the_openai_face_writes_the_rows_as_floats_or_their_float32_bytes(
    rows_api: httpx.AsyncClient, encoding: str
) -> None:
    body = {"model": "words", "input": TEXTS, "encoding_format": encoding}
    answer = await rows_api.post("/v1/embeddings", json=body)
    assert answer.status_code == 200, answer.text
    got = [item["embedding"] for item in answer.json()["data"]]
    if encoding == "base64":
        got = [np.frombuffer(base64.b64decode(value), dtype="<f4").tolist() for value in got]
    assert got == WANT.tolist()


async def test_the_es_and_gemini_faces_write_the_rows_as_lists(rows_api: httpx.AsyncClient) -> None:
    es = await rows_api.post("/_inference/text_embedding/words", json={"input": TEXTS})
    assert es.status_code == 200, es.text
    assert [item["embedding"] for item in es.json()["text_embedding"]] == WANT.tolist()
    gemini = await rows_api.post("/v1beta/models/words:embedContent", json={"content": {"parts": [{"text": TEXTS[0]}]}})
    assert gemini.status_code == 200, gemini.text
    assert gemini.json()["embedding"]["values"] == WANT[0].tolist()
