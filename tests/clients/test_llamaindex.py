"""A LlamaIndex function agent (``FunctionAgent`` with ``OpenAILike``, ``is_function_calling_model=True``;
installed apart) against a live hfgate's embedded SmolLM2: it calls its one function tool with a city the
schema allows and answers with text, whole and streamed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.apart import SETS, run_client

GENERATOR = ".smollm2-135m-instruct"
CITIES = ["Paris", "London", "Tokyo"]


@pytest.fixture(scope="module")
def runs(gate: str) -> dict[str, Any]:
    result: dict[str, Any] = run_client("llamaindex", "llamaindex_calls.py", gate, GENERATOR)
    return result


def test_the_pinned_packages_ran(runs: dict[str, Any]) -> None:
    pinned = {pin.split("==")[0]: pin.split("==")[1] for pin in SETS["llamaindex"]}
    assert {k: runs["versions"][k] for k in pinned} == pinned


@pytest.mark.parametrize("mode", ["whole", "streamed"])
def test_the_agent_calls_its_tool_and_answers(runs: dict[str, Any], mode: str) -> None:
    run = runs[mode]
    assert run["asked"]
    assert run["asked"][0] in CITIES
    first = run["tool_results"][0]
    assert first["name"] == "get_weather"
    assert first["output"] == f"Sunny and 18C in {run['asked'][0]}"
    assert run["answer"].strip()
    assert "<tool_call>" not in run["answer"]
