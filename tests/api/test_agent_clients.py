"""Agents built with the real client packages, against a live hfgate and its embedded SmolLM2-135M-Instruct:
the OpenAI Agents SDK (its Chat Completions model class), LangChain (``bind_tools`` and a tool loop) and
huggingface_hub's ``chat_completion(tools=…)``. The first turn names the tool, so the 135M model's call
is held to the tool's schema; the answers to the tool results are the model's own."""

from __future__ import annotations

import json
from typing import Any

import pytest

GENERATOR = ".smollm2-135m-instruct"
CITIES = ["Paris", "London", "Tokyo"]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "enum": CITIES}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


async def test_an_openai_agents_sdk_agent_calls_its_function_tool_and_answers(live_url: str) -> None:
    from agents import Agent, ModelSettings, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
    from openai import AsyncOpenAI

    set_tracing_disabled(True)
    asked: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city.

        Args:
            city: the city's name.
        """
        asked.append(city)
        return f"Sunny and 18C in {city}"

    client = AsyncOpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0)
    agent = Agent(
        name="weather",
        instructions="Answer questions about the weather with the get_weather tool.",
        tools=[get_weather],
        model=OpenAIChatCompletionsModel(model=GENERATOR, openai_client=client),
        # the SDK resets tool_choice to auto after the call (reset_tool_choice), so the agent then answers
        model_settings=ModelSettings(tool_choice="get_weather", max_tokens=30, temperature=0),
    )
    result = await Runner.run(agent, "What is the weather in Paris?", max_turns=4)
    assert asked
    assert isinstance(result.final_output, str)
    assert result.final_output
    assert "<tool_call>" not in result.final_output
    await client.close()


def test_langchain_bind_tools_and_a_tool_loop(live_url: str) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city."""
        return f"Sunny and 18C in {city}"

    llm = ChatOpenAI(base_url=f"{live_url}/v1", api_key="unused", model=GENERATOR, temperature=0, max_tokens=30)  # type: ignore[arg-type]
    bound = llm.bind_tools([get_weather], tool_choice="get_weather")
    messages: list[Any] = [HumanMessage("What is the weather in Paris?")]
    first = bound.invoke(messages)
    (call,) = first.tool_calls  # type: ignore[attr-defined]
    assert call["name"] == "get_weather"
    assert isinstance(call["args"]["city"], str)
    streamed = None
    for chunk in bound.stream(messages):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None
    assert [c["args"] for c in streamed.tool_calls] == [call["args"]]  # type: ignore[attr-defined]
    messages += [first, ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"])]
    final = llm.bind_tools([get_weather]).invoke(messages)
    assert final.content or final.tool_calls  # type: ignore[attr-defined]
    assert "<tool_call>" not in str(final.content)


def test_huggingface_hub_chat_completion_with_tools(live_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import InferenceClient, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the suite's offline flag refuses any URL
    client = InferenceClient(model=f"{live_url}/hf/{GENERATOR}", provider="hf-inference", timeout=120)
    question = [{"role": "user", "content": "What is the weather in Tokyo?"}]
    named = {"function": {"name": "get_weather"}}  # huggingface_hub's ChatCompletionInputToolChoiceClass
    whole = client.chat_completion(question, tools=[WEATHER], tool_choice=named, max_tokens=30, temperature=0)  # type: ignore[arg-type]
    choice = whole.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments)["city"] in CITIES
    pieces = [
        c.choices[0].delta.tool_calls
        for c in client.chat_completion(
            question,
            tools=[WEATHER],
            tool_choice=named,
            max_tokens=30,
            temperature=0,
            stream=True,  # type: ignore[arg-type]
        )
        if c.choices and c.choices[0].delta.tool_calls
    ]
    assert pieces[0][0].function.name == "get_weather"
    assert "".join(p[0].function.arguments for p in pieces) == call.function.arguments


def test_huggingface_hub_sends_tgi_s_tool_prompt_which_introduces_the_tools(
    live_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import InferenceClient, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the suite's offline flag refuses any URL
    client = InferenceClient(model=f"{live_url}/hf/{GENERATOR}", provider="hf-inference", timeout=120)
    question = [{"role": "user", "content": "What is the weather in Tokyo?"}]
    named = {"function": {"name": "get_weather"}}

    def prompt_tokens(tool_prompt: str | None) -> int:
        answer = client.chat_completion(
            question, tools=[WEATHER], tool_choice=named, tool_prompt=tool_prompt, max_tokens=30, temperature=0,  # type: ignore[arg-type]
        )  # fmt: skip
        assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"  # type: ignore[index]
        return answer.usage.prompt_tokens

    # SmolLM2's template ignores tools: tool_prompt replaces the words that introduce them
    longer = "When the user asks about the weather in a city, call the function below with that city. " * 3
    assert prompt_tokens("Tools:") < prompt_tokens(None) < prompt_tokens(longer)
