"""The grammar that makes a local model call a tool when it must, as vLLM does with guided decoding.

- a named choice: the answer is the tool's arguments, held to its ``parameters`` schema;
- ``required``: the answer is a JSON array of ``{"name": one of the tools, "arguments": that tool's
  schema}`` (one item at most when ``parallel_tool_calls`` is false), which ``tool_parser`` reads as
  bare JSON; the array is closed at the first call that repeats an earlier one (``repeated_items``), which
  a small model otherwise writes again and again until the token limit.

Source: vLLM's ``_get_guided_json_from_tool`` (vllm/entrypoints/openai/protocol.py), which builds the
same two schemas for ``tool_choice`` named and ``required``.

The schemas are closed and written on one line, as every local JSON grammar is (``compact_schema``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hfgate.chat.tools import Tool, ToolChoice
from hfgate.local.generation.compact_schema import closed, compact
from hfgate.tasks import Grammar

ANY_OBJECT: dict[str, Any] = {"type": "object"}


def call_grammar(tools: Sequence[Tool], choice: ToolChoice, *, parallel: bool | None) -> Grammar | None:
    """The grammar for ``choice`` (``None`` for ``auto`` and ``none``: the model writes freely)."""
    if choice.mode == "named":
        index, tool = next((i, t) for i, t in enumerate(tools) if t.name == choice.name)
        schema = _parameters(tool)
        return Grammar(kind="json", value=_one_line(schema), field=f"tools[{index}].function.parameters")
    if choice.mode == "required":
        calls = _one_line(_calls_schema(tools, parallel=parallel))
        return Grammar(kind="json", value=calls, field="tools", distinct_items=parallel is not False)
    return None


def _one_line(schema: dict[str, Any]) -> str:
    return json.dumps(compact(schema))


def _parameters(tool: Tool) -> dict[str, Any]:
    return closed(dict(tool.parameters)) if tool.parameters is not None else ANY_OBJECT


def _calls_schema(tools: Sequence[Tool], *, parallel: bool | None) -> dict[str, Any]:
    items = [
        {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": [t.name]},
                "arguments": _parameters(t),
            },
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for t in tools
    ]
    schema: dict[str, Any] = {"type": "array", "minItems": 1, "items": {"anyOf": items}}
    if parallel is False:
        schema["maxItems"] = 1
    return schema
