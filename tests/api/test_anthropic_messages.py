"""Anthropic's Messages API, driven by the official ``anthropic`` SDK against a live hfgate and its
embedded SmolLM2-135M-Instruct: messages whole and streamed, a tool_use / tool_result round trip,
count_tokens, Anthropic's errors, and the gateway key in ``x-api-key``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.support.live_server import live_server

GENERATOR = ".smollm2-135m-instruct"
WEATHER: Any = {
    "name": "get_weather",
    "description": "Get the current weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string", "enum": ["Paris", "London", "Tokyo"]}},
        "required": ["city"],
    },
}
GREEDY: Any = {"temperature": 0}
"""Sent as an extra field: the SDK (2.x) has no ``temperature`` argument; Anthropic's API still takes it."""
QUESTION: Any = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture
def client(live_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=live_url, api_key="unused", max_retries=0)


def test_a_message_is_answered_in_text_with_usage(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=GENERATOR, max_tokens=12, extra_body=GREEDY, system="Answer briefly.",
        messages=[{"role": "user", "content": "Name a colour."}],
    )  # fmt: skip
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == GENERATOR
    (block,) = message.content
    assert block.type == "text"
    assert block.text
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert message.usage.input_tokens > 5
    assert 0 < message.usage.output_tokens <= 12


def test_a_streamed_message_gives_the_same_text_as_the_whole_one(client: anthropic.Anthropic) -> None:
    options: Any = {"model": GENERATOR, "max_tokens": 16, "extra_body": GREEDY,
                    "messages": [{"role": "user", "content": "Say hello."}]}  # fmt: skip
    whole = client.messages.create(**options)
    kinds: list[str] = []
    with client.messages.stream(**options) as stream:
        for event in stream:
            kinds.append(event.type)
        final = stream.get_final_message()
    assert final.content[0].type == "text"
    assert whole.content[0].type == "text"
    assert final.content[0].text == whole.content[0].text
    assert final.stop_reason == whole.stop_reason
    assert final.usage.output_tokens == whole.usage.output_tokens
    assert final.usage.input_tokens == whole.usage.input_tokens
    assert kinds[0] == "message_start"
    assert "content_block_start" in kinds
    assert kinds[-1] == "message_stop"


def test_max_tokens_reached_is_stop_reason_max_tokens(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=GENERATOR,
        max_tokens=3,
        extra_body=GREEDY,
        messages=[{"role": "user", "content": "Tell me a long story."}],
    )
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 3


def test_a_stop_sequence_met_is_named(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=GENERATOR, max_tokens=40, extra_body=GREEDY, stop_sequences=["3"],
        messages=[{"role": "user", "content": "Count from 1 to 10, separated by commas."}],
    )  # fmt: skip
    assert message.stop_reason == "stop_sequence"
    assert message.stop_sequence == "3"
    assert message.content[0].type == "text"
    assert "3" not in message.content[0].text


def test_a_tool_is_called_and_its_result_answered(client: anthropic.Anthropic) -> None:
    first = client.messages.create(
        model=GENERATOR, max_tokens=40, extra_body=GREEDY, tools=[WEATHER], messages=QUESTION,
        tool_choice={"type": "tool", "name": "get_weather"},
    )  # fmt: skip
    assert first.stop_reason == "tool_use"
    (call,) = [b for b in first.content if b.type == "tool_use"]
    assert call.name == "get_weather"
    assert call.input["city"] in ("Paris", "London", "Tokyo")  # type: ignore[index]
    result: Any = {"type": "tool_result", "tool_use_id": call.id, "content": "It is 21 degrees and sunny."}
    second = client.messages.create(
        model=GENERATOR, max_tokens=40, extra_body=GREEDY, tools=[WEATHER],
        messages=[*QUESTION, {"role": "assistant", "content": first.content}, {"role": "user", "content": [result]}],
    )  # fmt: skip
    assert second.stop_reason in ("end_turn", "max_tokens", "tool_use")
    assert second.content
    assert second.usage.input_tokens > first.usage.input_tokens  # the tool's result was read


def test_a_streamed_tool_call_joins_into_the_same_input(client: anthropic.Anthropic) -> None:
    one_call: Any = {"type": "any", "disable_parallel_tool_use": True}
    options: Any = {"model": GENERATOR, "max_tokens": 40, "extra_body": GREEDY, "tools": [WEATHER],
                    "messages": QUESTION, "tool_choice": one_call}  # fmt: skip
    whole = client.messages.create(**options)
    with client.messages.stream(**options) as stream:
        final = stream.get_final_message()
    calls = [(b.name, b.input) for b in final.content if b.type == "tool_use"]
    assert calls == [(b.name, b.input) for b in whole.content if b.type == "tool_use"]
    assert len(calls) == 1
    assert final.stop_reason == "tool_use"


def test_count_tokens_counts_more_for_a_longer_conversation(client: anthropic.Anthropic) -> None:
    short = client.messages.count_tokens(model=GENERATOR, messages=[{"role": "user", "content": "Hi"}])
    longer = client.messages.count_tokens(
        model=GENERATOR, system="You are a helpful assistant.", tools=[WEATHER], messages=QUESTION
    )
    assert short.input_tokens >= 1
    assert longer.input_tokens > short.input_tokens + 10


@pytest.mark.parametrize("tools", [[], [WEATHER]], ids=["plain", "with-a-tool"])
def test_count_tokens_on_a_local_model_is_the_input_tokens_the_message_reports(
    client: anthropic.Anthropic, tools: list[Any]
) -> None:
    # Anthropic's count_tokens is what the message would be charged; Claude Code manages its window by it
    request: Any = {"model": GENERATOR, "system": "Answer briefly.", "messages": QUESTION, "tools": tools}
    counted = client.messages.count_tokens(**request).input_tokens
    answered = client.messages.create(max_tokens=1, extra_body=GREEDY, **request)
    assert counted == answered.usage.input_tokens


def test_an_unknown_model_is_not_found_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.messages.create(model="no-such-model", max_tokens=5, messages=QUESTION)
    assert caught.value.status_code == 404
    body: Any = caught.value.body
    assert body["type"] == "error"
    assert body["error"]["type"] == "not_found_error"
    assert "no-such-model" in body["error"]["message"]


def test_missing_max_tokens_is_invalid_request_error_naming_it(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.post("/v1/messages", body={"model": GENERATOR, "messages": QUESTION}, cast_to=object)
    body: Any = caught.value.body
    assert body["error"]["type"] == "invalid_request_error"
    assert "[max_tokens] is required" in body["error"]["message"]


def test_a_server_tool_is_refused_naming_it(client: anthropic.Anthropic) -> None:
    search: Any = {"type": "web_search_20250305", "name": "web_search"}
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=GENERATOR, max_tokens=5, messages=QUESTION, tools=[search])
    assert "[tools[0].type] is [web_search_20250305]" in caught.value.body["error"]["message"]  # type: ignore[index]


@pytest.fixture(scope="module")
def keyed_url(tmp_path_factory: pytest.TempPathFactory, shared_context: ServiceContext) -> Iterator[str]:
    data: Path = tmp_path_factory.mktemp("anthropic-keyed")
    settings = Settings(data_dir=data, api_keys="k-anthropic", log_format="text", log_level="warning")  # type: ignore[arg-type]
    with live_server(settings, context=shared_context) as url:
        yield url


def test_the_gateway_key_is_taken_from_x_api_key_and_from_bearer(keyed_url: str) -> None:
    options: Any = {"model": GENERATOR, "max_tokens": 2, "messages": QUESTION}
    by_header = anthropic.Anthropic(base_url=keyed_url, api_key="k-anthropic", max_retries=0)
    assert by_header.messages.create(**options).content
    by_token = anthropic.Anthropic(base_url=keyed_url, auth_token="k-anthropic", max_retries=0)
    assert by_token.messages.create(**options).content
    with pytest.raises(anthropic.AuthenticationError) as caught:
        anthropic.Anthropic(base_url=keyed_url, api_key="wrong", max_retries=0).messages.create(**options)
    assert caught.value.status_code == 401
    assert caught.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]


def test_the_docs_example_runs_as_printed(live_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "api" / "anthropic.md").read_text()
    code = page.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", live_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "unused")
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    exec(compile(code, "docs/api/anthropic.md", "exec"), {})
