"""OpenAI-face embeddings keep an upstream's numbers as they came (no float32 round trip), and a local
model's array-backed vectors answer the very bytes their lists would."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import httpx
import numpy as np
import orjson
import pytest

from hfgate.api.openai import shapes
from hfgate.tasks import FloatRows, Usage
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_api
from tests.fakes.hf_server import TOKEN, FakeHF, vector_for

__all__ = ["fake_hf", "fake_hf_server", "hf_api"]


async def test_float_vectors_pass_through_digit_for_digit(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}}
    assert (await api.put("/_inference/text_embedding/tei", json=body)).status_code == 200
    answer = await api.post("/v1/embeddings", json={"model": "tei", "input": ["one", "two"]})
    assert answer.status_code == 200, answer.text
    assert [item["embedding"] for item in answer.json()["data"]] == [vector_for("one"), vector_for("two")]
    assert str(vector_for("one")[0]) in answer.text  # e.g. 0.305882, not 0.30588236451148987


async def test_dimensions_and_base64_still_use_float32(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}}
    assert (await api.put("/_inference/text_embedding/tei", json=body)).status_code == 200
    answer = await api.post("/v1/embeddings", json={"model": "tei", "input": "one", "dimensions": 4})
    vector = answer.json()["data"][0]["embedding"]
    assert len(vector) == 4
    assert abs(sum(x * x for x in vector) - 1.0) < 1e-5


VECTORS = np.random.default_rng(3).standard_normal((5, 384)).astype(np.float32)


def answer(vectors: Sequence[list[float]], *, encoding: str, dimensions: int | None = None) -> bytes:
    return orjson.dumps(shapes.embeddings(vectors, model="m", counts=Usage(), encoding=encoding, dimensions=dimensions))


@pytest.mark.parametrize(("encoding", "dimensions"), [("base64", None), ("float", None), ("base64", 8), ("float", 8)])
def test_a_local_models_array_backed_vectors_answer_the_same_bytes_as_their_lists(
    encoding: str, dimensions: int | None
) -> None:
    rows = FloatRows(VECTORS)
    assert answer(rows, encoding=encoding, dimensions=dimensions) == answer(
        VECTORS.tolist(), encoding=encoding, dimensions=dimensions
    )


def test_base64_of_array_backed_vectors_is_each_rows_little_endian_float32_bytes() -> None:
    data = shapes.embeddings(FloatRows(VECTORS), model="m", counts=Usage(), encoding="base64", dimensions=None)["data"]
    assert [d["index"] for d in data] == list(range(len(VECTORS)))
    decoded = [np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in data]
    assert np.array_equal(np.stack(decoded), VECTORS)


def test_base64_of_array_backed_vectors_makes_no_python_float() -> None:
    rows = FloatRows(VECTORS)
    shapes.embeddings(rows, model="m", counts=Usage(), encoding="base64", dimensions=None)
    assert rows._lists is None
