"""The Hugging Face-compatible face, driven by huggingface_hub's InferenceClient and raw TEI/TGI calls."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError

EMBEDDER = ".all-minilm-l6-v2"
GENERATOR = ".smollm2-135m-instruct"


@pytest.fixture(autouse=True)
def _online_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite runs with HF_HUB_OFFLINE=1 (models load from disk); InferenceClient refuses any URL then,
    even a local one, so these tests let it talk to the local server."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def hf(live_url: str, inference_id: str) -> InferenceClient:
    return InferenceClient(model=f"{live_url}/hf/{inference_id}", provider="hf-inference", timeout=120)


def test_feature_extraction_returns_the_endpoints_vectors(live_url: str) -> None:
    vectors = hf(live_url, EMBEDDER).feature_extraction("hello world")
    direct = httpx.post(f"{live_url}/_inference/{EMBEDDER}", json={"input": "hello world"}).json()
    assert np.allclose(np.asarray(vectors).reshape(-1), direct["text_embedding"][0]["embedding"], atol=1e-6)


def test_health_and_info(live_url: str) -> None:
    client = hf(live_url, EMBEDDER)
    assert client.health_check()
    info = client.get_endpoint_info()
    assert info["model_id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert "embedding" in info["model_type"]
    assert hf(live_url, GENERATOR).get_endpoint_info()["model_pipeline_tag"] == "text-generation"


def test_tei_routes_embed_and_openai_embeddings(live_url: str) -> None:
    base = f"{live_url}/hf/{EMBEDDER}"
    embedded = httpx.post(f"{base}/embed", json={"inputs": ["a", "b"]}).json()
    assert np.asarray(embedded).shape == (2, 384)
    openai_shape = httpx.post(f"{base}/v1/embeddings", json={"input": "a", "model": "x"}).json()
    assert openai_shape["data"][0]["embedding"] == pytest.approx(embedded[0], abs=1e-6)
    tokens = httpx.post(f"{base}/tokenize", json={"inputs": "hello world"}).json()
    assert [t["text"] for t in tokens[0]] == ["[CLS]", "hello", "world", "[SEP]"]


def test_tei_errors_keep_teis_shape_and_status(live_url: str) -> None:
    base = f"{live_url}/hf/{EMBEDDER}"
    empty = httpx.post(f"{base}/embed", json={"inputs": []})
    assert empty.status_code == 400
    assert empty.json()["error_type"] == "Empty"
    invalid = httpx.post(f"{base}/embed", json={"inputs": 5})
    assert invalid.status_code == 422
    assert invalid.json()["error_type"] == "Validation"
    missing = httpx.post(f"{live_url}/hf/nope/embed", json={"inputs": "x"})
    assert missing.status_code == 404


def test_text_generation_plain_streamed_and_with_details(live_url: str) -> None:
    client = hf(live_url, GENERATOR)
    text = client.text_generation("Once upon a time", max_new_tokens=4, temperature=0.01, seed=1, do_sample=False)
    assert isinstance(text, str)
    assert text
    pieces = list(client.text_generation("Once upon a time", max_new_tokens=4, do_sample=False, stream=True))
    assert "".join(pieces) == text
    detailed = client.text_generation("Once upon a time", max_new_tokens=4, do_sample=False, details=True)
    assert detailed.generated_text == text
    assert detailed.details is not None
    assert detailed.details.finish_reason in ("length", "eos_token", "stop_sequence")
    assert detailed.details.generated_tokens == len(detailed.details.tokens)


def test_chat_completion_through_the_tgi_route(live_url: str) -> None:
    answer = hf(live_url, GENERATOR).chat_completion(
        messages=[{"role": "user", "content": "Say hi."}], max_tokens=5, temperature=0
    )
    assert answer.choices[0].message.content


def test_tgi_validation_error_shape(live_url: str) -> None:
    response = httpx.post(f"{live_url}/hf/{GENERATOR}/generate", json={"inputs": "x", "parameters": {"bogus": 1}})
    assert response.status_code == 422
    assert response.json()["error_type"] == "validation"
    assert "model_kwargs" in response.json()["error"]
    with pytest.raises(HfHubHTTPError):
        hf(live_url, "nope").feature_extraction("x")


def test_tokenize_uses_the_generation_models_own_tokenizer(live_url: str) -> None:
    tokens = httpx.post(f"{live_url}/hf/{GENERATOR}/tokenize", json={"inputs": "Hello there"}, timeout=120).json()
    assert [(t["text"], t["start"], t["stop"]) for t in tokens[0]] == [("Hello", 0, 5), (" there", 5, 11)]
