"""The OpenAI Agents SDK's default model class (``OpenAIResponsesModel``, the Responses API) runs a
function-tool agent against hfgate's embedded SmolLM2: the model calls the tool, the SDK runs it, sends
its output back with ``previous_response_id`` or the whole input, and the agent ends with a text answer."""

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
        model_settings=ModelSettings(tool_choice="required", max_tokens=48, temperature=0),
        tool_use_behavior="run_llm_again",
        reset_tool_choice=True,  # after the call, "auto": the model may answer in text
    )


@pytest.mark.parametrize("stream", [False, True])
async def test_an_agent_with_a_function_tool_runs_to_a_text_answer(hfgate: openai.AsyncOpenAI, stream: bool) -> None:
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
    assert calls, "the model never called get_weather"
    assert isinstance(result.final_output, str)
    assert result.final_output
    kinds = [item.type for item in result.new_items]
    assert kinds[0] == "tool_call_item"
    assert "tool_call_output_item" in kinds
    assert kinds[-1] == "message_output_item"
