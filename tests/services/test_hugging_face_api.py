"""The ``hugging_face`` service through hfgate's own ``_inference`` API, over real HTTP to the fake server."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fakes.engines import sparse_for
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_api
from tests.fakes.hf_server import DIMENSIONS, TOKEN, FakeHF, Fault, vector_for

__all__ = ["fake_hf", "fake_hf_server", "hf_api"]


def body(**service_settings: Any) -> dict[str, Any]:
    return {"service": "hugging_face", "service_settings": {"api_key": TOKEN, **service_settings}}


async def test_an_embedding_endpoint_by_url_is_created_and_used(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    created = await api.put("/_inference/text_embedding/tei", json=body(url=f"{fake_hf.base}/tei"))
    assert created.status_code == 200, created.text
    settings = created.json()["service_settings"]
    assert (settings["dimensions"], settings["similarity"]) == (DIMENSIONS, "cosine")
    assert "api_key" not in settings
    answer = await api.post("/_inference/text_embedding/tei", json={"input": ["one", "two"]})
    assert answer.json() == {"text_embedding": [{"embedding": vector_for("one")}, {"embedding": vector_for("two")}]}


async def test_a_hosted_completion_endpoint_answers_and_streams(api: httpx.AsyncClient) -> None:
    created = await api.put("/_inference/completion/gpt", json=body(model_id="gpt2"))
    assert created.status_code == 200, created.text
    assert created.json()["service_settings"]["task"] == "text-generation"
    answer = await api.post("/_inference/completion/gpt", json={"input": "one two"})
    assert answer.json() == {"completion": [{"result": " w0 w1 w2 w3 w4"}]}
    streamed = await api.post("/_inference/completion/gpt/_stream", json={"input": "one two"})
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert 'data: {"completion":[{"delta":" w0"}]}' in streamed.text


async def test_chat_completion_and_rerank_through_the_api(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    assert (await api.put("/_inference/chat_completion/chat", json=body(url=f"{fake_hf.base}/tgi"))).status_code == 200
    messages = {"messages": [{"role": "user", "content": "hi"}]}
    streamed = await api.post("/_inference/chat_completion/chat/_stream", json=messages)
    assert streamed.status_code == 200
    assert "[DONE]" in streamed.text
    assert (await api.put("/_inference/rerank/rr", json=body(url=f"{fake_hf.base}/tei-rerank"))).status_code == 200
    ranked = await api.post("/_inference/rerank/rr", json={"query": "big cat", "input": ["dog", "big cat"]})
    assert ranked.json()["rerank"][0]["index"] == 1


async def test_url_and_model_id_together_are_a_validation_failure(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    answer = await api.put("/_inference/text_embedding/both", json=body(url=f"{fake_hf.base}/tei", model_id="a/b"))
    assert answer.status_code == 400
    assert answer.json()["error"]["reason"].startswith(
        "Validation Failed: 1: [service_settings] contains both [url] and [model_id]"
    )


async def test_an_upstream_rate_limit_is_a_429_not_a_bad_request(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    await api.put("/_inference/text_embedding/tei?skip_validation=true", json=body(url=f"{fake_hf.base}/tei"))
    assert (await api.post("/_inference/text_embedding/tei", json={"input": "warm"})).status_code == 200
    fake_hf.inject("/tei", *[Fault.rate_limited(retry_after=0)] * 3)
    answer = await api.post("/_inference/text_embedding/tei", json={"input": "x"})
    assert answer.status_code == 429
    assert (
        "Received a rate limit status code for request from inference entity id [tei] status [429]"
        in (answer.json()["error"]["reason"])
    )


async def test_an_unknown_engine_is_refused_naming_the_choices(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    answer = await api.put("/_inference/completion/x", json=body(url=f"{fake_hf.base}/vllm", engine="tensorrt"))
    assert answer.status_code == 400
    reason = answer.json()["error"]["reason"]
    assert "[engine]" in reason
    assert "llamacpp, openai, pipeline, sglang, tei, tgi, vllm" in reason


async def test_sparse_embeddings_in_elasticsearchs_shape(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    created = await api.put("/_inference/sparse_embedding/splade", json=body(url=f"{fake_hf.base}/tei-sparse"))
    assert created.status_code == 200, created.text
    answer = await api.post("/_inference/sparse_embedding/splade", json={"input": ["big cat"]})
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["sparse_embedding"]
    assert item["is_truncated"] is False
    assert item["embedding"] == {str(i): w for i, w in sparse_for("big cat").items()}


async def test_a_vllm_completion_streams_through_the_es_and_openai_faces(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    created = await api.put("/_inference/completion/vllm", json=body(url=f"{fake_hf.base}/vllm"))
    assert created.status_code == 200, created.text
    streamed = await api.post("/_inference/completion/vllm/_stream", json={"input": "one two"})
    assert 'data: {"completion":[{"delta":" w0"}]}' in streamed.text
    assert streamed.headers["x-hfgate-served-by"] == "vllm"
    openai = await api.post("/v1/completions", json={"model": "vllm", "prompt": "one two", "max_tokens": 3})
    assert openai.status_code == 200, openai.text
    assert openai.json()["choices"][0]["text"] == " w0 w1 w2"


async def test_chunks_past_the_servers_window_get_a_warning_header_at_create(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    wide = {"strategy": "word", "max_chunk_size": 400, "overlap": 100}
    created = await api.put(
        "/_inference/text_embedding/wide", json={**body(url=f"{fake_hf.base}/tei"), "chunking_settings": wide}
    )
    assert created.status_code == 200, created.text
    assert created.json()["service_settings"]["context_window"] == 512
    assert created.headers["warning"].startswith('299 hfgate "chunks of up to [400] words (~520 tokens) exceed')
    plain = await api.put("/_inference/text_embedding/plain", json=body(url=f"{fake_hf.base}/tei"))
    assert "warning" not in plain.headers


async def test_an_out_of_range_parameter_is_refused_alike_on_every_face_before_the_upstream_is_called(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    assert (await api.put("/_inference/chat_completion/tgi", json=body(url=f"{fake_hf.base}/tgi"))).status_code == 200
    fake_hf.reset()
    messages = [{"role": "user", "content": "hi"}]
    openai = await api.post("/v1/chat/completions", json={"model": "tgi", "messages": messages, "top_p": 0})
    anthropic = await api.post("/v1/messages", json={"model": "tgi", "max_tokens": 5, "messages": messages, "top_p": 0})
    tgi = await api.post("/hf/tgi/v1/chat/completions", json={"messages": messages, "top_p": 0})
    for answer, status in ((openai, 400), (anthropic, 400), (tgi, 422)):  # TGI answers a validation error 422
        assert answer.status_code == status, answer.text
        assert "[top_p] must be greater than [0] and at most [1]" in answer.text
    assert fake_hf.hits("/tgi") == []


async def test_an_out_of_range_value_is_refused_naming_the_field_as_the_request_sent_it(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    """One check (``merged_params``) for every face, each error naming the face's own field and not
    hfgate's inner name for it (``max_new_tokens``)."""
    assert (await api.put("/_inference/chat_completion/tgi", json=body(url=f"{fake_hf.base}/tgi"))).status_code == 200
    fake_hf.reset()
    hi = [{"role": "user", "content": "hi"}]
    turn = [{"role": "user", "parts": [{"text": "hi"}]}]
    sent = [
        ("/v1/chat/completions", {"model": "tgi", "messages": hi, "max_tokens": -1}, "max_tokens"),
        ("/v1/chat/completions", {"model": "tgi", "messages": hi, "max_completion_tokens": 0}, "max_completion_tokens"),
        ("/v1/completions", {"model": "tgi", "prompt": "hi", "max_tokens": 0}, "max_tokens"),
        ("/v1/responses", {"model": "tgi", "input": "hi", "max_output_tokens": 0}, "max_output_tokens"),
        ("/v1/messages", {"model": "tgi", "messages": hi, "max_tokens": 0}, "max_tokens"),
        ("/v1beta/models/tgi:generateContent", {"contents": turn, "generationConfig": {"maxOutputTokens": 0}},
         "generationConfig.maxOutputTokens"),
        ("/v1beta/models/tgi:generateContent", {"contents": turn, "generationConfig": {"topP": 1.5}},
         "generationConfig.topP"),
        ("/_inference/chat_completion/tgi/_stream", {"messages": hi, "max_completion_tokens": 0},
         "max_completion_tokens"),
        ("/hf/tgi/generate", {"inputs": "hi", "parameters": {"max_new_tokens": 0}}, "max_new_tokens"),
    ]  # fmt: skip
    for path, request, field in sent:
        answer = await api.post(path, json=request)
        assert answer.status_code in (400, 422), (path, request, answer.text)
        assert f"[{field}]" in answer.text, (path, request, answer.text)
        assert field == "max_new_tokens" or "max_new_tokens" not in answer.text, (path, answer.text)
    openai = await api.post("/v1/chat/completions", json={"model": "tgi", "messages": hi, "max_tokens": 0})
    assert openai.json()["error"]["param"] == "max_tokens"
    assert fake_hf.hits("/tgi") == []
