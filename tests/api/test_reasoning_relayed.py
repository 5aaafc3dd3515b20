"""A reasoning model's thinking reaches the client on every chat face, whole and streamed: chat
completions (``reasoning_content``), the Responses API (a ``reasoning`` item before the message) and
Messages (a ``thinking`` block), driven by the real ``openai`` and ``anthropic`` clients against endpoints
by url on the fake's reasoning servers (``tests/fakes/reasoning_chat.py`` cites vLLM's wire shape for
both names of the field). ``reasoning_effort`` / ``reasoning.effort`` reach the upstream as
``reasoning_effort``. The Messages face also reaches a plain vLLM by url: its tool calls become ``tool_use``
blocks, ``tool_result`` blocks go back as ``tool`` turns, and ``count_tokens`` estimates where hfgate has no
tokenizer; and a hosted model, through the router's chat route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import FAKE_CALL_ID, TOKEN, FakeHF
from tests.fakes.reasoning_chat import THOUGHT
from tests.support.live_server import live_server

__all__ = ["fake_hf", "fake_hf_server"]

SERVERS = {"new": "vllm-reasoning", "old": "reasoning-content", "plain": "vllm"}
"""Endpoint → the fake server: vLLM 0.11+ (``reasoning``), ``reasoning_content`` with reasoning tokens, and a
vLLM serving a model that does not reason (its tool calls as vLLM gives them)."""
THINKING = f"{THOUGHT} Is."  # the fake thinks about the prompt's first word
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
QUESTION: Any = [{"role": "user", "content": "Is the sky blue?"}]


@pytest.fixture(scope="module")
def gateway(fake_hf_server: FakeHF, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = hf_settings(fake_hf_server.base, tmp_path_factory.mktemp("reasoning")).model_copy(
        update={"provision_defaults": False, "registry_cache_seconds": 0, "log_format": "text"}
    )
    with live_server(settings) as url:
        hosted = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "model_id": LLAMA}}
        assert httpx.put(f"{url}/_inference/chat_completion/hosted", json=hosted, timeout=30).status_code == 200
        for name, server in SERVERS.items():
            body = {
                "service": "hugging_face",
                "service_settings": {"api_key": TOKEN, "url": f"{fake_hf_server.base}/{server}"},
            }
            created = httpx.put(f"{url}/_inference/chat_completion/{name}", json=body, timeout=30)
            assert created.status_code == 200, created.text
        yield url


@pytest.fixture
def oai(gateway: str, fake_hf: FakeHF) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{gateway}/v1", api_key="unused", max_retries=0) as client:
        yield client


@pytest.fixture
def claude(gateway: str, fake_hf: FakeHF) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway, api_key="unused", max_retries=0)


def sent(fake: FakeHF, name: str) -> dict[str, Any]:
    body = fake.hits(f"/{SERVERS[name]}/v1/chat/completions")[-1].body
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("name", ["new", "old"])
def test_chat_completions_carry_reasoning_content(oai: openai.OpenAI, fake_hf: FakeHF, name: str) -> None:
    answer = oai.chat.completions.create(model=name, messages=QUESTION, max_tokens=8, reasoning_effort="low")
    message: Any = answer.choices[0].message
    assert message.reasoning_content == THINKING
    assert message.content
    assert THOUGHT not in message.content
    assert sent(fake_hf, name)["reasoning_effort"] == "low"
    assert answer.usage is not None
    details = answer.usage.completion_tokens_details
    assert (details.reasoning_tokens if details else None) == (len(THINKING.split()) if name == "old" else None)


@pytest.mark.parametrize("name", ["new", "old"])
def test_streamed_chat_completions_carry_reasoning_content_first(oai: openai.OpenAI, name: str) -> None:
    stream = oai.chat.completions.create(model=name, messages=QUESTION, max_tokens=8, stream=True)
    reasoning, content, text_seen = [], [], False
    for chunk in stream:
        delta: Any = chunk.choices[0].delta if chunk.choices else None
        if delta is not None and getattr(delta, "reasoning_content", None):
            assert not text_seen, "reasoning after the answer began"
            reasoning.append(delta.reasoning_content)
        if delta is not None and delta.content:
            text_seen = True
            content.append(delta.content)
    assert "".join(reasoning) == THINKING
    whole = oai.chat.completions.create(model=name, messages=QUESTION, max_tokens=8)
    assert "".join(content) == whole.choices[0].message.content


@pytest.mark.parametrize("stream", [False, True])
def test_a_response_has_a_reasoning_item_before_its_message(oai: openai.OpenAI, fake_hf: FakeHF, stream: bool) -> None:
    options: Any = {"model": "old", "input": "Is the sky blue?", "max_output_tokens": 8,
                    "reasoning": {"effort": "high"}, "include": ["reasoning.encrypted_content"],
                    "store": False}  # fmt: skip
    if stream:
        with oai.responses.stream(**options) as events:
            kinds = [event.type for event in events]
            response = events.get_final_response()
        assert "response.reasoning_text.delta" in kinds
        assert kinds.index("response.reasoning_text.done") < kinds.index("response.output_text.delta")
    else:
        response = oai.responses.create(**options)
    reasoning, message = response.output
    assert reasoning.type == "reasoning"
    assert [c.text for c in reasoning.content or []] == [THINKING]
    assert message.type == "message"
    assert response.output_text
    assert THOUGHT not in response.output_text
    assert response.reasoning is not None
    assert response.reasoning.effort == "high"
    assert response.usage is not None
    assert response.usage.output_tokens_details.reasoning_tokens == len(THINKING.split())
    assert sent(fake_hf, "old")["reasoning_effort"] == "high"


def test_a_reasoning_item_sent_back_is_accepted_and_not_replayed(oai: openai.OpenAI, fake_hf: FakeHF) -> None:
    first = oai.responses.create(model="new", input="Is the sky blue?", max_output_tokens=8, store=False)
    history: Any = [{"role": "user", "content": "Is the sky blue?"}, *[item.model_dump() for item in first.output]]
    second = oai.responses.create(model="new", input=[*history, {"role": "user", "content": "Why?"}], store=False)
    assert second.output_text
    messages = sent(fake_hf, "new")["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert all(THOUGHT not in str(m.get("content")) for m in messages)


@pytest.mark.parametrize("name", ["new", "old"])
def test_a_message_has_a_thinking_block_before_its_text(claude: anthropic.Anthropic, name: str) -> None:
    message = claude.messages.create(model=name, max_tokens=8, messages=QUESTION)
    thinking, text = message.content
    assert thinking.type == "thinking"
    assert thinking.thinking == THINKING
    assert text.type == "text"
    with claude.messages.stream(model=name, max_tokens=8, messages=QUESTION) as stream:
        kinds = [(event.type, getattr(getattr(event, "delta", None), "type", None)) for event in stream]
        final = stream.get_final_message()
    assert ("content_block_delta", "thinking_delta") in kinds
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == THINKING  # type: ignore[union-attr]
    assert final.content[1].text == text.text  # type: ignore[union-attr]


def test_a_model_that_does_not_reason_gives_no_reasoning(oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    message: Any = oai.chat.completions.create(model="plain", messages=QUESTION, max_tokens=8).choices[0].message
    assert getattr(message, "reasoning_content", None) is None
    assert [b.type for b in claude.messages.create(model="plain", max_tokens=8, messages=QUESTION).content] == ["text"]


@pytest.mark.parametrize("stream", [False, True])
def test_messages_tools_reach_an_engine_by_url_in_chat_shape(
    claude: anthropic.Anthropic, fake_hf: FakeHF, stream: bool
) -> None:
    tool: Any = {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}
    options: Any = {"model": "plain", "max_tokens": 16, "messages": QUESTION, "tools": [tool]}
    if stream:
        with claude.messages.stream(**options) as events:
            message = events.get_final_message()
    else:
        message = claude.messages.create(**options)
    (call,) = message.content
    assert call.type == "tool_use"
    assert (call.id, call.name, call.input) == (FAKE_CALL_ID, "get_weather", {"asked": "Is the sky blue?"})
    assert message.stop_reason == "tool_use"
    function = {"name": "get_weather", "description": "Weather", "parameters": {"type": "object"}}
    assert sent(fake_hf, "plain")["tools"] == [{"type": "function", "function": function}]
    result: Any = {"type": "tool_result", "tool_use_id": call.id, "content": [{"type": "text", "text": "Sunny."}]}
    history: Any = [*QUESTION, {"role": "assistant", "content": message.content}, {"role": "user", "content": [result]}]
    claude.messages.create(model="plain", max_tokens=16, messages=history)
    turns = sent(fake_hf, "plain")["messages"]
    assert turns[1]["tool_calls"][0]["id"] == FAKE_CALL_ID
    assert turns[2] == {"role": "tool", "content": "Sunny.", "tool_call_id": FAKE_CALL_ID}


def test_count_tokens_estimates_where_hfgate_has_no_tokenizer(claude: anthropic.Anthropic) -> None:
    counted = claude.messages.count_tokens(model="plain", messages=[{"role": "user", "content": "x" * 40}])
    assert counted.input_tokens == 10  # one token per four characters


@pytest.mark.parametrize("stream", [False, True])
def test_a_hosted_model_answers_messages_through_the_router_s_chat(
    claude: anthropic.Anthropic, fake_hf: FakeHF, stream: bool
) -> None:
    options: Any = {"model": "hosted", "max_tokens": 4, "system": "Be brief.", "messages": QUESTION}
    if stream:
        with claude.messages.stream(**options) as events:
            message = events.get_final_message()
    else:
        message = claude.messages.create(**options)
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text.strip()  # type: ignore[union-attr]
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 4
    (hit,) = fake_hf.hits("/router/v1/chat/completions")
    assert isinstance(hit.body, dict)
    assert hit.body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert fake_hf.hits("/router/v1/messages") == []
