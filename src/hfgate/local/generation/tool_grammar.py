"""The grammar that makes a local model call a tool when it must, as vLLM does with guided decoding.

- a named choice: the answer is the tool's arguments, held to its ``parameters`` schema;
- ``required``: the answer is a JSON array of ``{"name": one of the tools, "arguments": that tool's
  schema}`` (one item at most when ``parallel_tool_calls`` is false), which ``tool_parser`` reads as
  bare JSON; the array is closed at the first call that repeats an earlier one (``repeated_items``), which
  a small model otherwise writes again and again until the token limit.

Source: vLLM's ``_get_guided_json_from_tool`` (vllm/entrypoints/openai/protocol.py), which builds the
same two schemas for ``tool_choice`` named and ``required``.

Two choices of ours, for small models: an object schema that lists ``properties`` and says nothing of
``additionalProperties`` is closed (as OpenAI's strict mode requires it to be), since a small model
otherwise invents arguments until it runs out of tokens (LangChain's and the Agents SDK's schemas
often leave it out); and the JSON is written on one line (``{"city": "Paris"}``, llguidance's
``x-guidance`` options), which spends no tokens on indentation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hfgate.chat.tools import Tool, ToolChoice
from hfgate.tasks import Grammar

ANY_OBJECT: dict[str, Any] = {"type": "object"}
ONE_LINE = {"whitespace_flexible": False, "key_separator": ": ", "item_separator": ", "}
_SUBSCHEMAS = ("items", "additionalItems", "not", "if", "then", "else")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")


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
    return json.dumps({**schema, "x-guidance": ONE_LINE})


def _parameters(tool: Tool) -> dict[str, Any]:
    return closed(dict(tool.parameters)) if tool.parameters is not None else ANY_OBJECT


def closed(schema: Any) -> Any:
    """``schema`` with each object that lists ``properties`` closed unless it says otherwise."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    for key in _SUBSCHEMAS:
        if key in out:
            out[key] = closed(out[key])
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [closed(item) for item in out[key]]
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: closed(item) for name, item in out[key].items()}
    return out


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
