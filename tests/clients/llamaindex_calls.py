"""Drives a LlamaIndex function agent (``FunctionAgent`` over ``OpenAILike``, installed apart: it pins its
own ``openai``) against a live hfgate's OpenAI face; prints what each run did, as JSON, for
tests/clients/test_llamaindex.py.

The first turn names the tool (``initial_tool_choice``), as the other agent tests do, so that the 135M
model's call is held to the tool's schema; LlamaIndex then leaves the choice to the model.

Usage: python llamaindex_calls.py HFGATE_URL ENDPOINT_ID
"""

from __future__ import annotations

import asyncio
import json
import sys
from importlib.metadata import version
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.tools import FunctionTool
from llama_index.llms.openai_like import OpenAILike

CITIES = ["Paris", "London", "Tokyo"]


async def run_agent(base: str, model: str, *, streaming: bool) -> dict[str, Any]:
    asked: list[str] = []

    def get_weather(city: str) -> str:
        """Get the current weather in a city (Paris, London or Tokyo)."""
        asked.append(city)
        return f"Sunny and 18C in {city}"

    llm = OpenAILike(
        model=model, api_base=f"{base}/v1", api_key="unused", is_chat_model=True, is_function_calling_model=True,
        max_tokens=30, temperature=0, max_retries=0, timeout=600,
    )  # fmt: skip
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(get_weather)],
        llm=llm,
        system_prompt="Answer questions about the weather with the get_weather tool.",
        initial_tool_choice="get_weather",
        streaming=streaming,
    )
    handler = agent.run(user_msg="What is the weather in Paris?", max_iterations=4)
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    answer = await handler
    return {
        "asked": asked,
        "tool_results": [{"name": r.tool_name, "kwargs": r.tool_kwargs, "output": str(r.tool_output)} for r in results],
        "answer": str(answer.response.content or ""),
    }


async def main(base: str, model: str) -> dict[str, Any]:
    return {
        "versions": {name: version(name) for name in ("llama-index-core", "llama-index-llms-openai-like", "openai")},
        "whole": await run_agent(base, model, streaming=False),
        "streamed": await run_agent(base, model, streaming=True),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
