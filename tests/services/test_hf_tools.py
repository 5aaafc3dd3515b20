"""Tools, tool messages and image parts through the ``hugging_face`` service, over real HTTP to the fake
router and engines (tests/fakes/hf_server.py cites each tool-call and image field): passed on unchanged,
calls read back whole and streamed in OpenAI's pieces."""

from __future__ import annotations

import json

import pytest

from hfgate.chat.messages import ChatMessage, ImagePart, TextPart
from hfgate.chat.tool_calls import ToolCallJoiner
from hfgate.chat.tools import Tool, ToolCall, ToolChoice
from hfgate.errors import BadRequestError
from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import ChatRequest, GenerationParams, TaskType
from tests.fakes.hf_fixtures import endpoint, fake_hf, fake_hf_server, hf_service
from tests.fakes.hf_server import FAKE_CALL_ID, FakeHF

__all__ = ["fake_hf", "fake_hf_server", "hf_service"]

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
WEATHER = Tool(
    name="get_weather",
    description="Weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    strict=True,
)
TIME = Tool(name="get_time")
QUESTION = ChatMessage(role="user", content="weather in Paris")
PARAMS = GenerationParams(max_new_tokens=20)
UPSTREAMS = ["router", "vllm", "sglang", "llamacpp", "tgi"]


async def made(service: HuggingFaceService, fake: FakeHF, upstream: str) -> Endpoint:
    if upstream == "router":
        return await service.check(endpoint(TaskType.CHAT_COMPLETION, model_id=LLAMA), timeout=5)
    return await service.check(endpoint(TaskType.CHAT_COMPLETION, url=f"{fake.base}/{upstream}"), timeout=5)


def sent(fake: FakeHF, upstream: str) -> dict[str, object]:
    body = fake.hits(f"/{upstream}/v1/chat/completions")[-1].body
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_tools_and_a_named_choice_are_passed_on_and_the_call_comes_back(
    hf_service: HuggingFaceService, fake_hf: FakeHF, upstream: str
) -> None:
    chosen = ToolChoice(mode="named", name="get_time")
    request = ChatRequest(messages=(QUESTION,), params=PARAMS, tools=(WEATHER, TIME), tool_choice=chosen,
                          parallel_tool_calls=False)  # fmt: skip
    answer = await hf_service.open(await made(hf_service, fake_hf, upstream)).chat(request)
    body = sent(fake_hf, upstream)
    assert body["tools"] == [
        {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                          "parameters": WEATHER.parameters, "strict": True}},
        {"type": "function", "function": {"name": "get_time"}},
    ]  # fmt: skip
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert body["parallel_tool_calls"] is False
    assert (answer.text, answer.finish_reason) == ("", "tool_calls")
    assert answer.tool_calls == (ToolCall(id=FAKE_CALL_ID, name="get_time", arguments='{"asked":"weather in Paris"}'),)


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_a_streamed_call_is_relayed_piece_by_piece(
    hf_service: HuggingFaceService, fake_hf: FakeHF, upstream: str
) -> None:
    request = ChatRequest(messages=(QUESTION,), params=PARAMS, tools=(WEATHER,))
    deltas = [d async for d in hf_service.open(await made(hf_service, fake_hf, upstream)).chat_stream(request)]
    pieces = [p for d in deltas for p in d.tool_calls]
    assert (pieces[0].id, pieces[0].name, pieces[0].arguments) == (FAKE_CALL_ID, "get_weather", "")
    assert len(pieces) > 2  # the argument fragments come as the upstream sent them, not reassembled
    assert all(p.id is None and p.name is None for p in pieces[1:])
    joiner = ToolCallJoiner()
    joiner.add(pieces)
    (call,) = joiner.calls()
    assert json.loads(call.arguments) == {"asked": "weather in Paris"}
    assert deltas[-1].finish_reason == "tool_calls"
    assert deltas[-1].usage is not None


@pytest.mark.parametrize("upstream", ["router", "vllm"])
async def test_the_tool_result_turn_and_image_parts_reach_the_upstream_unchanged(
    hf_service: HuggingFaceService, fake_hf: FakeHF, upstream: str
) -> None:
    image = "data:image/png;base64,iVBORw0KGgo="
    messages = (
        ChatMessage(role="user", content="what is this? ", parts=(TextPart(text="what is this? "),
                                                                  ImagePart(url=image, detail="low"))),
        ChatMessage(role="assistant", content="", tool_calls=(ToolCall(id="call_1", name="get_weather",
                                                                       arguments='{"city": "Paris"}'),)),
        ChatMessage(role="tool", content="18C", tool_call_id="call_1"),
    )  # fmt: skip
    answer = await hf_service.open(await made(hf_service, fake_hf, upstream)).chat(
        ChatRequest(messages=messages, params=PARAMS, tools=(WEATHER,), tool_choice=ToolChoice(mode="none")),
    )
    assert answer.text
    assert answer.finish_reason in ("length", "eos_token")
    assert sent(fake_hf, upstream)["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "what is this? "},
                                     {"type": "image_url", "image_url": {"url": image, "detail": "low"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
        ]},
        {"role": "tool", "content": "18C", "tool_call_id": "call_1"},
    ]  # fmt: skip


async def test_a_request_without_tools_sends_no_tool_fields(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    await hf_service.open(await made(hf_service, fake_hf, "vllm")).chat(
        ChatRequest(messages=(QUESTION,), params=PARAMS)
    )
    body = sent(fake_hf, "vllm")
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(body)
    assert body["messages"] == [{"role": "user", "content": "weather in Paris"}]


async def test_tool_prompt_goes_to_tgi_which_reads_it(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    # TGI's ChatRequest.tool_prompt (TGI router/src/lib.rs); the fake records the body as sent
    request = ChatRequest(messages=(QUESTION,), params=PARAMS, tools=(WEATHER,), tool_prompt="Tools follow.")
    await hf_service.open(await made(hf_service, fake_hf, "tgi")).chat(request)
    assert sent(fake_hf, "tgi")["tool_prompt"] == "Tools follow."


@pytest.mark.parametrize("upstream", ["router", "vllm", "llamacpp"])
async def test_tool_prompt_to_a_server_that_does_not_read_it_is_a_400_naming_it(
    hf_service: HuggingFaceService, fake_hf: FakeHF, upstream: str
) -> None:
    request = ChatRequest(messages=(QUESTION,), params=PARAMS, tools=(WEATHER,), tool_prompt="Tools follow.")
    endpoint = await made(hf_service, fake_hf, upstream)
    before = len(fake_hf.hits(f"/{upstream}/v1/chat/completions"))  # the create-time check's call
    with pytest.raises(BadRequestError) as refused:
        await hf_service.open(endpoint).chat(request)
    assert refused.value.param == "tool_prompt"
    assert "TGI" in refused.value.reason
    assert len(fake_hf.hits(f"/{upstream}/v1/chat/completions")) == before


async def test_tool_prompt_without_tools_is_not_sent(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    request = ChatRequest(messages=(QUESTION,), params=PARAMS, tool_prompt="Tools follow.")
    await hf_service.open(await made(hf_service, fake_hf, "vllm")).chat(request)
    assert "tool_prompt" not in sent(fake_hf, "vllm")
