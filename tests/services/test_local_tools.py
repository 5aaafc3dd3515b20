"""Tool calling on the ``local`` service with the real SmolLM2-135M-Instruct (its template ignores tools,
so they are rendered Hermes-style); ``required`` and named choices are held by llguidance."""

from __future__ import annotations

import json

import pytest

from hfgate.chat.messages import ChatMessage, ImagePart, TextPart
from hfgate.chat.tool_calls import ToolCallJoiner
from hfgate.chat.tools import Tool, ToolCall, ToolChoice
from hfgate.errors import BadRequestError
from hfgate.registry.endpoint import Endpoint
from hfgate.services import ServiceContext
from hfgate.services.local import LocalService
from hfgate.tasks import ChatRequest, GenerationDelta, GenerationParams, Grammar, TaskType

SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
WEATHER = Tool(
    name="get_weather",
    description="Get the current weather in a city",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string", "enum": ["Paris", "London", "Tokyo"]}},
        "required": ["city"],
        "additionalProperties": False,
    },
)
TIME = Tool(name="get_time", description="The time now", parameters={"type": "object", "properties": {}})
QUESTION = (ChatMessage(role="user", content="What is the weather in Paris?"),)
SHORT = GenerationParams(max_new_tokens=24)
TIMEOUT = 600.0  # a busy shared CPU; the tests check behaviour, not speed


def endpoint() -> Endpoint:
    """SmolLM2 on the engine measured fastest on this CPU (``auto``, measured once per session)."""
    settings = {"model": SMOLLM2, "task": "text-generation"}
    return Endpoint(inference_id="smol", task_type=TaskType.CHAT_COMPLETION, service="local", service_settings=settings)


@pytest.fixture(scope="module")
def service(shared_context: ServiceContext) -> LocalService:
    return LocalService(shared_context)


async def test_a_named_choice_calls_that_tool_with_arguments_matching_its_schema(service: LocalService) -> None:
    request = ChatRequest(
        timeout=TIMEOUT,
        messages=QUESTION,
        params=SHORT,
        tools=(TIME, WEATHER),
        tool_choice=ToolChoice(mode="named", name="get_weather"),
    )
    answer = await service.open(endpoint()).chat(request)
    (call,) = answer.tool_calls
    assert (answer.text, answer.finish_reason, call.name) == ("", "tool_calls", "get_weather")
    assert json.loads(call.arguments)["city"] in ("Paris", "London", "Tokyo")
    assert call.id.startswith("call_")


async def test_required_makes_the_model_call_one_of_the_tools(service: LocalService) -> None:
    required = ToolChoice(mode="required")
    request = ChatRequest(
        timeout=TIMEOUT,
        messages=QUESTION,
        params=SHORT,
        tools=(WEATHER, TIME),
        tool_choice=required,
        parallel_tool_calls=False,
    )
    answer = await service.open(endpoint()).chat(request)
    assert answer.finish_reason == "tool_calls"
    (call,) = answer.tool_calls
    assert call.name in ("get_weather", "get_time")
    assert isinstance(json.loads(call.arguments), dict)


async def test_tools_and_calls_count_in_the_usage(service: LocalService) -> None:
    plain = await service.open(endpoint()).chat(ChatRequest(timeout=TIMEOUT, messages=QUESTION, params=SHORT))
    named = ToolChoice(mode="named", name="get_weather")
    called = await service.open(endpoint()).chat(
        ChatRequest(timeout=TIMEOUT, messages=QUESTION, params=SHORT, tools=(WEATHER,), tool_choice=named)
    )
    assert called.usage.prompt_tokens > plain.usage.prompt_tokens + 50  # the tools block is in the prompt
    assert called.usage.completion_tokens >= len('{"city": "Paris"}') // 4


async def test_a_streamed_named_call_comes_as_openai_streams_it(service: LocalService) -> None:
    request = ChatRequest(
        timeout=TIMEOUT,
        messages=QUESTION,
        params=SHORT,
        tools=(WEATHER,),
        tool_choice=ToolChoice(mode="named", name="get_weather"),
    )
    deltas: list[GenerationDelta] = [d async for d in service.open(endpoint()).chat_stream(request)]
    head = deltas[0].tool_calls[0]
    assert (head.index, head.name, head.arguments) == (0, "get_weather", "")
    assert head.id
    assert all(p.id is None and p.name is None for d in deltas[1:] for p in d.tool_calls)
    assert all(d.text == "" for d in deltas)
    assert deltas[-1].finish_reason == "tool_calls"
    joiner = ToolCallJoiner()
    for d in deltas:
        joiner.add(d.tool_calls)
    whole = await service.open(endpoint()).chat(request)
    assert [c.arguments for c in joiner.calls()] == [c.arguments for c in whole.tool_calls]


async def test_the_tool_result_turn_is_answered_in_text(service: LocalService) -> None:
    messages = (
        *QUESTION,
        ChatMessage(
            role="assistant",
            content="",
            tool_calls=(ToolCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}'),),
        ),
        ChatMessage(role="tool", content='{"temperature_c": 18, "sky": "sunny"}', tool_call_id="call_1"),
    )
    answer = await service.open(endpoint()).chat(
        ChatRequest(
            timeout=TIMEOUT, messages=messages, params=SHORT, tools=(WEATHER,), tool_choice=ToolChoice(mode="none")
        ),
    )
    assert answer.text
    assert not answer.tool_calls
    assert "<tool_call>" not in answer.text


async def test_auto_streamed_and_whole_agree_and_no_markup_reaches_the_content(service: LocalService) -> None:
    """SmolLM2-135M mostly answers in text under ``auto``; whichever it does, both ways agree."""
    request = ChatRequest(timeout=TIMEOUT, messages=QUESTION, params=SHORT, tools=(WEATHER,))
    whole = await service.open(endpoint()).chat(request)
    deltas = [d async for d in service.open(endpoint()).chat_stream(request)]
    joiner = ToolCallJoiner()
    for d in deltas:
        joiner.add(d.tool_calls)
    assert "".join(d.text for d in deltas).strip() == whole.text.strip()
    assert [(c.name, c.arguments) for c in joiner.calls()] == [(c.name, c.arguments) for c in whole.tool_calls]
    assert "<tool_call>" not in whole.text
    assert deltas[-1].finish_reason == whole.finish_reason


async def test_an_image_part_is_refused_naming_the_part_and_the_model(service: LocalService) -> None:
    message = ChatMessage(
        role="user",
        content="What is this?",
        parts=(TextPart(text="What is this?"), ImagePart(url="https://example.com/cat.png")),
    )
    with pytest.raises(BadRequestError) as caught:
        await service.open(endpoint()).chat(ChatRequest(timeout=TIMEOUT, messages=(message,), params=SHORT))
    assert "[messages[0].content[1]]" in str(caught.value)
    assert SMOLLM2 in str(caught.value)


async def test_response_format_with_a_required_call_is_refused(service: LocalService) -> None:
    params = GenerationParams(max_new_tokens=5, grammar=Grammar(kind="json", value="{}", field="response_format"))
    with pytest.raises(BadRequestError, match=r"\[response_format\]"):
        await service.open(endpoint()).chat(
            ChatRequest(
                timeout=TIMEOUT,
                messages=QUESTION,
                params=params,
                tools=(WEATHER,),
                tool_choice=ToolChoice(mode="required"),
            ),
        )
