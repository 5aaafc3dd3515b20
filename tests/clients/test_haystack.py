"""Haystack's Hugging Face components (haystack-ai 3.x with huggingface-api-haystack, installed apart)
against a live hfgate: TEI embedders (which send ``normalize: false``), the TEI ranker on an endpoint's
own host, and the TGI chat generator; each answer checked for content."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest

from tests.clients.conftest import RANKER_HOST, RANKER_ID
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.apart import SETS, run_client

MINILM = ".all-minilm-l6-v2"


@pytest.fixture(scope="module")
def answers(gate: str, fake_for_clients: FakeHF) -> dict[str, Any]:
    config = {
        "service": "hugging_face",
        "service_settings": {"url": f"{fake_for_clients.base}/tei-rerank", "api_key": TOKEN},
    }
    created = httpx.put(f"{gate}/_inference/rerank/{RANKER_ID}", json=config, timeout=60)
    assert created.status_code == 200, created.text
    port = gate.rsplit(":", 1)[1]
    try:
        result: dict[str, Any] = run_client("haystack", "haystack_calls.py", gate, f"http://{RANKER_HOST}:{port}")
    finally:
        httpx.delete(f"{gate}/_inference/{RANKER_ID}", timeout=60)
    return result


def _pooled(gate: str, text: str) -> np.ndarray[Any, Any]:
    answer = httpx.post(f"{gate}/hf/{MINILM}/embed", json={"inputs": [text], "normalize": False}, timeout=60)
    return np.asarray(answer.json()[0])


def test_the_tei_embedders_get_the_pooled_vectors(answers: dict[str, Any], gate: str) -> None:
    assert np.allclose(answers["text_embedding"], _pooled(gate, "a cat"), atol=1e-5)
    cat, dog = answers["document_embeddings"]
    assert np.allclose(cat, answers["text_embedding"], atol=1e-5)
    assert np.allclose(dog, _pooled(gate, "a dog"), atol=1e-5)


def test_the_tei_ranker_reaches_rerank_on_the_endpoints_host(answers: dict[str, Any]) -> None:
    (first, first_score), (second, second_score) = answers["ranked"]
    assert (first, second) == ("big cat", "dog")
    assert first_score > second_score


def test_the_tgi_chat_generator_answers(answers: dict[str, Any]) -> None:
    assert answers["reply"].strip()
    assert answers["versions"] == dict(pin.split("==") for pin in SETS["haystack"]), "the pinned packages ran"
