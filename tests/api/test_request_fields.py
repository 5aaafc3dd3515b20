"""Fields a client sends that hfgate does not know are not refused for it (issue #44).

To an OpenAI-compatible upstream (here the fake vLLM by url, tests/fakes/engines.py) every field the client
sent arrives unchanged in the upstream body: vLLM takes any field (``OpenAIBaseModel`` in
``vllm/entrypoints/openai/engine/protocol.py`` has ``extra="allow"`` and its ``__log_extra_fields__`` only logs
the ones it ignores), and the fake, like it, answers whatever extra fields the body carries. The local
SmolLM2 honours ``min_p`` and ``top_k``, ignores what has no effect on its answer, and answers a 400 naming
the field only for what it would silently get wrong (``logit_bias``, the presence and frequency penalties).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.services.base import ServiceContext
from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF

__all__ = ["fake_hf", "fake_hf_server"]

GENERATOR = ".smollm2-135m-instruct"
EMBEDDER = ".all-minilm-l6-v2"
IGNORED: dict[str, Any] = {
    "client_metadata": {"session": "s1"}, "reasoning_effort": "low", "chat_template_kwargs": {"enable_thinking": False},
    "metadata": {"k": "v"}, "store": False, "user": "u1", "service_tier": "auto", "prompt_cache_key": "p1",
    "safety_identifier": "id1",
}  # fmt: skip
HONOURED: dict[str, Any] = {"min_p": 0.05, "top_k": 40, "repetition_penalty": 1.1}
WRONG_LOCALLY: dict[str, Any] = {
    "logit_bias": {"42": 5}, "presence_penalty": 0.5, "frequency_penalty": 0.5,
    "functions": [{"name": "f", "parameters": {"type": "object"}}],
}  # fmt: skip
SENT = {**IGNORED, **HONOURED, **WRONG_LOCALLY}
ROUTES = {
    "chat": ("/v1/chat/completions", {"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 2}),
    "completions": ("/v1/completions", {"prompt": "Once upon", "max_tokens": 2}),
    "responses": ("/v1/responses", {"input": "Say hi.", "max_output_tokens": 2}),
}


@pytest.fixture
async def gateway(fake_hf: FakeHF, tmp_path: Path, shared_context: ServiceContext) -> AsyncIterator[httpx.AsyncClient]:
    """hfgate with its default local endpoints and a chat and a completion endpoint on the fake vLLM by url."""
    settings = hf_settings(fake_hf.base, tmp_path).model_copy(update={"registry_cache_seconds": 0})
    async with app_client(settings, shared_context) as http:
        for task, name in (("chat_completion", "vllm-chat"), ("completion", "vllm-completion")):
            body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/vllm"}}
            created = await http.put(f"/_inference/{task}/{name}", json=body)
            assert created.status_code == 200, created.text
        yield http


@pytest.mark.parametrize(("route", "model", "hit"), [
    ("chat", "vllm-chat", "/vllm/v1/chat/completions"), ("completions", "vllm-completion", "/vllm/v1/completions"),
])  # fmt: skip
async def test_every_field_reaches_an_openai_compatible_upstream_unchanged(
    gateway: httpx.AsyncClient, fake_hf: FakeHF, route: str, model: str, hit: str
) -> None:
    path, body = ROUTES[route]
    answer = await gateway.post(path, json={"model": model, **body, **SENT})
    assert answer.status_code == 200, answer.text
    sent = fake_hf.hits(hit)[-1].body  # after the call that checked the endpoint at create
    assert isinstance(sent, dict)
    assert {k: sent.get(k) for k in SENT} == SENT
    assert sent["max_tokens"] == 2


async def test_a_responses_request_passes_its_unknown_fields_to_the_chat_it_becomes(
    gateway: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    """Fields of the Responses API that hfgate reads (``store``, ``metadata``, ``include``…) are not chat
    fields and stay out; a field it does not know (Codex's ``client_metadata``, vLLM's ``min_p``) goes on."""
    extra = {"client_metadata": {"session": "s1"}, "min_p": 0.05, "chat_template_kwargs": {"enable_thinking": False}}
    known = {"store": False, "metadata": {"k": "v"}, "include": ["reasoning.encrypted_content"]}
    known |= {"prompt_cache_key": "p", "safety_identifier": "s", "reasoning": {"effort": "low"}}
    path, body = ROUTES["responses"]
    answer = await gateway.post(path, json={"model": "vllm-chat", **body, **extra, **known})
    assert answer.status_code == 200, answer.text
    sent = fake_hf.hits("/vllm/v1/chat/completions")[-1].body
    assert isinstance(sent, dict)
    assert {k: sent.get(k) for k in extra} == extra
    assert not set(known) & set(sent)


@pytest.mark.parametrize("route", ["chat", "completions", "responses"])
async def test_the_local_model_takes_the_fields_it_does_not_use(gateway: httpx.AsyncClient, route: str) -> None:
    path, body = ROUTES[route]
    answer = await gateway.post(path, json={"model": GENERATOR, **body, **IGNORED, **HONOURED})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("route", ["chat", "completions", "responses"])
@pytest.mark.parametrize("field", sorted(WRONG_LOCALLY))
async def test_a_field_the_local_model_would_get_wrong_is_a_400_naming_it(
    gateway: httpx.AsyncClient, route: str, field: str
) -> None:
    path, body = ROUTES[route]
    answer = await gateway.post(path, json={"model": GENERATOR, **body, field: WRONG_LOCALLY[field]})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["param"] == field
    assert f"[{field}] is not supported by the local models" in error["message"]


async def test_their_no_op_values_are_taken_by_the_local_model(gateway: httpx.AsyncClient) -> None:
    path, body = ROUTES["chat"]
    no_ops = {"logit_bias": {}, "presence_penalty": 0, "frequency_penalty": 0.0, "n": 1, "logprobs": False}
    answer = await gateway.post(path, json={"model": GENERATOR, **body, **no_ops})
    assert answer.status_code == 200, answer.text


async def test_min_p_is_honoured_by_the_local_sampler(gateway: httpx.AsyncClient) -> None:
    """``min_p: 1`` keeps only the likeliest token: sampling hot gives the greedy answer, whatever the seed."""
    path, body = ROUTES["chat"]
    body = {**body, "model": GENERATOR, "max_tokens": 8}
    greedy = (await gateway.post(path, json={**body, "temperature": 0})).json()["choices"][0]["message"]["content"]
    for seed in (1, 2, 3):
        hot = await gateway.post(path, json={**body, "temperature": 3.0, "seed": seed, "min_p": 1.0})
        assert hot.json()["choices"][0]["message"]["content"] == greedy
    out_of_range = await gateway.post(path, json={**body, "min_p": 2})
    assert out_of_range.status_code == 400
    assert out_of_range.json()["error"]["param"] == "min_p"


@pytest.mark.parametrize("model", [GENERATOR, "vllm-chat"])
@pytest.mark.parametrize(("field", "value"), [
    ("min_p", "high"), ("top_k", "x"), ("presence_penalty", "x"), ("logit_bias", [1]), ("temperature", "hot"),
])  # fmt: skip
async def test_a_wrong_type_is_still_a_400_naming_the_field(
    gateway: httpx.AsyncClient, fake_hf: FakeHF, model: str, field: str, value: Any
) -> None:
    path, body = ROUTES["chat"]
    calls = len(fake_hf.hits("/vllm/v1/chat/completions"))
    answer = await gateway.post(path, json={"model": model, **body, field: value})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == field
    assert len(fake_hf.hits("/vllm/v1/chat/completions")) == calls


@pytest.mark.parametrize("model", [GENERATOR, "vllm-chat"])
@pytest.mark.parametrize(("field", "value"), [("best_of", 3), ("logprobs", True)])
async def test_what_the_answer_cannot_carry_is_refused_on_every_service(
    gateway: httpx.AsyncClient, model: str, field: str, value: Any
) -> None:
    """hfgate ranks no extra candidates and answers without log probabilities: passing these on would drop
    what they ask for (``n`` choices are served: tests/api/test_openai_choices.py)."""
    path, body = ROUTES["chat"]
    answer = await gateway.post(path, json={"model": model, **body, field: value})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == field


async def test_embeddings_take_fields_they_do_not_use(gateway: httpx.AsyncClient) -> None:
    body = {"model": EMBEDDER, "input": "hello", "user": "u1", "truncate_prompt_tokens": 8, "metadata": {"k": "v"}}
    answer = await gateway.post("/v1/embeddings", json=body)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["data"][0]["embedding"]) == 384


@pytest.mark.parametrize(("value", "param"), [
    ("no", "chat_template_kwargs"), ({"add_generation_prompt": False}, "chat_template_kwargs.add_generation_prompt"),
])  # fmt: skip
async def test_chat_template_kwargs_the_local_template_cannot_take_are_a_400(
    gateway: httpx.AsyncClient, value: Any, param: str
) -> None:
    path, body = ROUTES["chat"]
    answer = await gateway.post(path, json={"model": GENERATOR, **body, "chat_template_kwargs": value})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == param
