"""The OpenAI Agents SDK's default model class (``OpenAIResponsesModel``, the Responses API) runs a
function-tool agent against hfgate's embedded SmolLM2: the model calls the tool through the Responses API
(whole and streamed), the SDK runs the function and sends its output back, and the model answers in text.

The agent asks for one call at a time (``parallel_tool_calls=False``): told it must call a tool and allowed
several, a 135M-parameter model repeats the call until the token budget runs out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
from agents import Agent, ModelSettings, OpenAIResponsesModel, RunConfig, Runner, function_tool, set_tracing_disabled

GENERATOR = ".smollm2-135m-instruct"
set_tracing_disabled(True)  # the SDK would export traces to OpenAI's servers


@pytest.fixture
async def hfgate(live_url: str) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0) as client:
        yield client


def _weather_agent(client: openai.AsyncOpenAI, calls: list[str]) -> Agent:
    @function_tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city."""
        calls.append(city)
        return f"It is 21 degrees and sunny in {city}."

    return Agent(
        name="weather",
        instructions="You answer questions about the weather. Use the get_weather tool.",
        tools=[get_weather],
        model=OpenAIResponsesModel(model=GENERATOR, openai_client=client),
        model_settings=ModelSettings(tool_choice="required", parallel_tool_calls=False, max_tokens=96, temperature=0),
        reset_tool_choice=True,  # after the call, "auto": the model answers in text
    )


@pytest.mark.parametrize("stream", [False, True])
async def test_an_agent_calls_its_function_tool_and_answers_with_its_result(
    hfgate: openai.AsyncOpenAI, stream: bool
) -> None:
    calls: list[str] = []
    agent = _weather_agent(hfgate, calls)
    question = "What is the weather in Paris?"
    if stream:
        run = Runner.run_streamed(agent, question, max_turns=6, run_config=RunConfig(tracing_disabled=True))
        async for _ in run.stream_events():
            pass
        result = run
    else:
        result = await Runner.run(agent, question, max_turns=6, run_config=RunConfig(tracing_disabled=True))
    assert len(calls) == 1, "the model never called get_weather"
    assert isinstance(result.final_output, str)
    assert "21" in result.final_output  # the model read the tool's output
    kinds = [item.type for item in result.new_items]
    assert kinds == ["tool_call_item", "tool_call_output_item", "message_output_item"]
