"""The request Codex sends to ``/v1/responses`` is taken, on the local model and on an upstream by url.

The body below has the shape of Codex's ``ResponsesApiRequest`` (openai/codex
``codex-rs/codex-api/src/common.rs``: ``model``, ``instructions``, ``input`` items, ``tools`` as JSON values,
``tool_choice``, ``parallel_tool_calls``, ``reasoning`` {effort, summary}, ``store``, ``stream``, ``include``,
``prompt_cache_key``, ``text`` {verbosity}, ``service_tier``, ``client_metadata``), its first turn as
``codex exec`` sends it: developer and user ``message`` items of ``input_text`` parts, function tools beside
its built-in ``web_search`` (on by default: Codex's ``web_search = "cached"``), ``local_shell`` and a
``custom`` (freeform grammar) tool. The texts are short stand-ins for Codex's own.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from tests.api.test_request_fields import GENERATOR, gateway
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server
from tests.fakes.hf_server import FakeHF

__all__ = ["fake_hf", "fake_hf_server", "gateway"]

SHELL = {
    "type": "function", "name": "shell", "description": "Runs a shell command and returns its output.",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "array", "items": {"type": "string"}}, "workdir": {"type": "string"},
                       "timeout_ms": {"type": "number"}},
        "required": ["command"], "additionalProperties": False,
    },
}  # fmt: skip
PLAN = {"type": "function", "name": "update_plan", "description": "Updates the task plan.", "strict": False,
        "parameters": {"type": "object", "properties": {"explanation": {"type": "string"}}}}  # fmt: skip
BUILT_IN: list[dict[str, Any]] = [
    {"type": "web_search", "external_web_access": False},
    {"type": "local_shell"},
    {"type": "custom", "name": "apply_patch", "description": "Applies a patch.",
     "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}},
]  # fmt: skip


def codex_body(model: str) -> dict[str, Any]:
    def message(role: str, text: str) -> dict[str, Any]:
        return {"type": "message", "role": role, "content": [{"type": "input_text", "text": text}]}

    return {
        "model": model,
        "instructions": "You are Codex, a coding agent. Be brief.",
        "input": [
            message("developer", "<permissions instructions>sandbox: read-only</permissions instructions>"),
            message("user", "<environment_context><cwd>/tmp/project</cwd></environment_context>"),
            message("user", "Say hi in one word."),
        ],
        "tools": [SHELL, PLAN, *BUILT_IN],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "0199f0c2-7e0e-7c30-9a4e-1d3c5b2a7f10",
        "text": {"verbosity": "medium"},
        "service_tier": "auto",
        "client_metadata": {"x-codex-installation-id": "test-installation"},
    }


def events(answer: httpx.Response) -> list[dict[str, Any]]:
    lines = [line.removeprefix("data: ") for line in answer.text.splitlines() if line.startswith("data: ")]
    return [orjson.loads(line) for line in lines]


async def test_codex_s_request_is_answered_by_the_local_model(gateway: httpx.AsyncClient) -> None:
    body = codex_body(GENERATOR) | {"max_output_tokens": 8}  # Codex sends no limit; kept short on a CPU
    answer = await gateway.post("/v1/responses", json=body)
    assert answer.status_code == 200, answer.text
    last = events(answer)[-1]
    assert last["type"] in ("response.completed", "response.incomplete")
    # the function tools the model had (Open Responses' FunctionTool); the built-in ones are not listed
    assert [(tool["type"], tool["name"]) for tool in last["response"]["tools"]] == [
        ("function", "shell"), ("function", "update_plan")
    ]  # fmt: skip


async def test_codex_s_request_reaches_an_upstream_by_url_as_a_chat_with_its_function_tools(
    gateway: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    answer = await gateway.post("/v1/responses", json=codex_body("vllm-chat"))
    assert answer.status_code == 200, answer.text
    done = events(answer)[-1]
    assert done["type"] == "response.completed"
    assert [item["type"] for item in done["response"]["output"]] == ["function_call"]  # the fake calls "shell"
    sent = fake_hf.hits("/vllm/v1/chat/completions")[-1].body
    assert isinstance(sent, dict)
    assert [tool["function"]["name"] for tool in sent["tools"]] == ["shell", "update_plan"]
    assert sent["client_metadata"] == {"x-codex-installation-id": "test-installation"}
    assert [m["role"] for m in sent["messages"]] == ["system", "developer", "user", "user"]
    assert not {"store", "include", "prompt_cache_key", "text", "service_tier"} & set(sent)
