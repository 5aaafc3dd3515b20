"""TEI's ``normalize: false``: the pooled vector before the model's normalization, from a local model
(on ``/hf/{id}``, ``/hf/{id}/embed`` and through InferenceClient) and asked of a remote TEI upstream."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
from huggingface_hub import InferenceClient

from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_api
from tests.fakes.hf_server import TOKEN, FakeHF

__all__ = ["fake_hf", "fake_hf_server", "hf_api"]

EMBEDDER = ".all-minilm-l6-v2"


def _pooled_and_unit(live_url: str, route: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    url = f"{live_url}/hf/{EMBEDDER}{route}"
    raw = httpx.post(url, json={"inputs": ["a cat sat on the mat"], "normalize": False}, timeout=60)
    unit = httpx.post(url, json={"inputs": ["a cat sat on the mat"]}, timeout=60)
    assert (raw.status_code, unit.status_code) == (200, 200), raw.text
    return np.asarray(raw.json()[0]), np.asarray(unit.json()[0])


@pytest.mark.parametrize("route", ["/embed", ""])
def test_normalize_false_returns_the_pooled_vector(live_url: str, route: str) -> None:
    pooled, unit = _pooled_and_unit(live_url, route)
    norm = float(np.linalg.norm(pooled))
    assert abs(norm - 1.0) > 0.05, "the pooled mean of MiniLM's token vectors is not of unit length"
    assert np.allclose(pooled / norm, unit, atol=1e-5)
    assert np.allclose(np.linalg.norm(unit), 1.0, atol=1e-4)


def test_inference_client_feature_extraction_without_normalization(
    live_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    client = InferenceClient(model=f"{live_url}/hf/{EMBEDDER}", provider="hf-inference", timeout=120)
    pooled = np.asarray(client.feature_extraction("a cat sat on the mat", normalize=False)).reshape(-1)
    unit = np.asarray(client.feature_extraction("a cat sat on the mat")).reshape(-1)
    assert np.allclose(pooled / np.linalg.norm(pooled), unit, atol=1e-5)
    assert abs(float(np.linalg.norm(pooled)) - 1.0) > 0.05


def test_normalize_must_be_a_boolean(live_url: str) -> None:
    answer = httpx.post(f"{live_url}/hf/{EMBEDDER}/embed", json={"inputs": "x", "normalize": "no"})
    assert answer.status_code == 422
    assert "normalize" in answer.json()["error"]


async def test_a_remote_tei_upstream_is_asked_for_the_pooled_vector(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    config = {"service": "hugging_face", "service_settings": {"url": f"{fake_hf.base}/tei", "api_key": TOKEN}}
    assert (await api.put("/_inference/text_embedding/tei", json=config)).status_code == 200
    fake_hf.reset()
    answer = await api.post("/hf/tei/embed", json={"inputs": ["one"], "normalize": False})
    assert answer.status_code == 200, answer.text
    sent = [hit.body for hit in fake_hf.hits("/tei") if hit.method == "POST"]
    # truncate: TEI cuts a text past its window instead of refusing it (docs/real-engines.md)
    assert sent == [{"inputs": ["one"], "normalize": False, "truncate": True}]
