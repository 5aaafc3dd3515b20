"""Hosted models through Inference Providers, over real HTTP to the fake router and Hub: the provider
chosen from the Hub's mapping, the router's ``:provider`` / policy suffixes, provider embedding routes,
every validation message, and the answering provider in the response headers."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from hfgate.chat.messages import ChatMessage
from hfgate.errors import ValidationCallError
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import ChatRequest, EmbedRequest, GenerateRequest, GenerationParams, TaskType
from tests.fakes.hf_fixtures import endpoint, fake_hf, fake_hf_server, hf_api, hf_service
from tests.fakes.hf_server import TOKEN, FakeHF, vector_for

__all__ = ["fake_hf", "fake_hf_server", "hf_api", "hf_service"]

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
E5 = "intfloat/multilingual-e5-large"
THREE = GenerationParams(max_new_tokens=3)
CHAT = ChatRequest(messages=(ChatMessage(role="user", content="one two"),), params=THREE)


async def test_auto_takes_the_first_live_provider_of_the_hubs_mapping(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    made = await hf_service.check(endpoint(TaskType.CHAT_COMPLETION, model_id=LLAMA), timeout=5)
    # cerebras is listed first but its status is error
    assert made.service_settings["served_by"] == "together"
    assert made.service_settings["provider_model"] == "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"
    assert fake_hf.hits("/router/v1/chat/completions")[-1].body["model"] == f"{LLAMA}:together"


@pytest.mark.parametrize("stream", [False, True])
async def test_a_chat_only_model_serves_completion_and_chat_through_the_router(
    hf_service: HuggingFaceService, stream: bool
) -> None:
    completion = await hf_service.check(endpoint(TaskType.COMPLETION, model_id=LLAMA), timeout=5)
    assert completion.service_settings["task"] == "conversational"
    chat = await hf_service.check(endpoint(TaskType.CHAT_COMPLETION, model_id=LLAMA), timeout=5)
    request = GenerateRequest(prompt="one two", params=THREE)
    if stream:
        texts = ["".join([d.text async for d in hf_service.open(completion).generate_stream(request)])]
        texts.append("".join([d.text async for d in hf_service.open(chat).chat_stream(CHAT)]))
    else:
        texts = [
            (await hf_service.open(completion).generate(request)).text,
            (await hf_service.open(chat).chat(CHAT)).text,
        ]
    assert texts == [" w0 w1 w2", " w0 w1 w2"]


@pytest.mark.parametrize(("provider", "sent"), [("novita", f"{LLAMA}:novita"), (":cheapest", f"{LLAMA}:cheapest")])
async def test_a_provider_name_or_policy_becomes_the_routers_suffix(
    hf_service: HuggingFaceService, fake_hf: FakeHF, provider: str, sent: str
) -> None:
    await hf_service.check(endpoint(TaskType.CHAT_COMPLETION, model_id=LLAMA, provider=provider), timeout=5)
    assert fake_hf.hits("/router/v1/chat/completions")[-1].body["model"] == sent


async def test_a_provider_that_does_not_serve_the_model_is_refused(hf_service: HuggingFaceService) -> None:
    with pytest.raises(ValidationCallError) as raised:
        await hf_service.check(endpoint(TaskType.CHAT_COMPLETION, model_id=LLAMA, provider="groq"), timeout=5)
    assert raised.value.reason.startswith(
        f"Provider [groq] does not serve model [{LLAMA}] for [chat_completion]. Providers serving it: [cerebras "
        "(conversational, error), together (conversational, live), novita (conversational, live)]"
    )
    assert raised.value.reason.endswith("Set [provider] to one of them, or to [auto].")


async def test_a_policy_for_embeddings_is_refused(hf_service: HuggingFaceService) -> None:
    with pytest.raises(ValidationCallError) as raised:
        await hf_service.check(endpoint(TaskType.TEXT_EMBEDDING, model_id=E5, provider="fastest"), timeout=5)
    assert raised.value.reason.startswith(
        "[provider] [fastest] is a router policy, which applies to chat models only; Providers serving it:"
    )


async def test_sparse_embedding_by_model_id_is_refused_with_the_way_to_get_it(hf_service: HuggingFaceService) -> None:
    with pytest.raises(ValidationCallError) as raised:
        await hf_service.check(endpoint(TaskType.SPARSE_EMBEDDING, model_id=E5), timeout=5)
    assert "serve a SPLADE model on a TEI server" in raised.value.reason


@pytest.mark.parametrize(
    ("provider", "route", "model"),
    [
        ("auto", "/router/together/v1/embeddings", "intfloat/multilingual-e5-large-instruct"),
        ("hf-inference", f"/hf-inference/models/{E5}/pipeline/feature-extraction", None),
    ],
)
async def test_embeddings_through_the_chosen_providers_route(
    hf_service: HuggingFaceService, fake_hf: FakeHF, provider: str, route: str, model: str | None
) -> None:
    made = await hf_service.check(endpoint(TaskType.TEXT_EMBEDDING, model_id=E5, provider=provider), timeout=5)
    result = await hf_service.open(made).embed(EmbedRequest(texts=("one", "two")))
    assert result.embeddings == [vector_for("one"), vector_for("two")]
    sent = fake_hf.hits(route)[-1].body
    assert sent.get("model") == model


async def test_the_routers_model_not_supported_error_is_a_400_naming_it(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    made = endpoint(TaskType.CHAT_COMPLETION, model_id="nobody/serves-this", served_by="together")
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the type is checked below
        await hf_service.open(made).chat(CHAT)
    assert getattr(raised.value, "status", None) == 400
    assert "The requested model 'nobody/serves-this' is not supported by provider 'together'." in str(raised.value)


def body(**service_settings: Any) -> dict[str, Any]:
    return {"service": "hugging_face", "service_settings": {"api_key": TOKEN, **service_settings}}


async def test_the_answering_provider_is_in_the_response_headers(api: httpx.AsyncClient) -> None:
    created = await api.put("/_inference/chat_completion/llama", json=body(model_id=LLAMA, provider="cheapest"))
    assert created.status_code == 200, created.text
    shown = created.json()["service_settings"]
    assert shown["provider"] == "cheapest"
    messages = {"messages": [{"role": "user", "content": "hi"}]}
    streamed = await api.post("/_inference/chat_completion/llama/_stream", json=messages)
    assert streamed.headers["x-hfgate-served-by"] == "novita"
    answer = await api.post("/v1/chat/completions", json={"model": "llama", **messages})
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-hfgate-served-by"] == "novita"


async def test_get_shows_the_detected_engine_and_an_update_of_the_url_detects_again(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    created = await api.put("/_inference/completion/gen", json=body(url=f"{fake_hf.base}/vllm"))
    assert created.status_code == 200, created.text
    shown = (await api.get("/_inference/completion/gen")).json()["endpoints"][0]["service_settings"]
    assert (shown["engine"], shown["model_name"]) == ("vllm", "meta-llama/Llama-3.1-8B-Instruct")
    update = {"service_settings": {"url": f"{fake_hf.base}/llamacpp"}}
    updated = await api.put("/_inference/completion/gen/_update", json=update)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["service_settings"]["engine"], updated.json()["service_settings"]["model_name"]) == (
        "llamacpp",
        "smollm2.gguf",
    )
    answer = await api.post("/_inference/completion/gen", json={"input": "one two"})
    assert answer.status_code == 200, answer.text
    assert fake_hf.hits("/llamacpp/v1/completions")


async def test_the_answering_provider_is_in_the_access_log(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await api.put("/_inference/completion/llama", json=body(model_id=LLAMA))).status_code == 200
    with caplog.at_level(logging.INFO, logger="hfgate.access"):
        answer = await api.post("/_inference/completion/llama", json={"input": "hi"})
    assert answer.headers["x-hfgate-served-by"] == "together"
    logged = [r for r in caplog.records if r.name == "hfgate.access" and getattr(r, "method", "") == "POST"]
    assert [getattr(r, "served_by", None) for r in logged] == ["together"]


async def test_a_create_without_a_task_type_takes_the_hubs_pipeline_tag(hf_service: HuggingFaceService) -> None:
    assert await hf_service.task_for({"model_id": LLAMA, "api_key": TOKEN}) is TaskType.CHAT_COMPLETION
    assert await hf_service.task_for({"url": "http://127.0.0.1:9"}) is None
