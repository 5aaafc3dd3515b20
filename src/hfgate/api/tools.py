"""A chat request's function tools, ``tool_choice`` and ``parallel_tool_calls``, in OpenAI's shape.

``tools`` is ``[{"type": "function", "function": {"name", "description", "parameters", "strict"}}]``;
``tool_choice`` is ``auto``, ``none``, ``required`` or ``{"type": "function", "function": {"name"}}``
(TGI also takes a declared tool's name as a plain string).
Source: OpenAI's Chat Completions API reference; Elasticsearch's unified chat completion schema and
TGI's chat (``type`` may be left out) take the same shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hfgate.api.body import json_type
from hfgate.chat.tools import TOOL_CHOICE_AUTO, TOOL_CHOICE_NONE, TOOL_CHOICE_REQUIRED, Tool, ToolChoice
from hfgate.errors import RequestValidationError

TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""OpenAI's rule for a function's name."""

_MODES = {"auto": TOOL_CHOICE_AUTO, "none": TOOL_CHOICE_NONE, "required": TOOL_CHOICE_REQUIRED}
TOOL_FIELDS = ("tools", "tool_choice", "parallel_tool_calls")


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolFields:
    """The three fields as the chat request carries them."""

    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None


NO_TOOLS = ToolFields()


def tool_fields(body: dict[str, Any]) -> ToolFields:
    """The body's tools and the choice among them (``NO_TOOLS`` when it names none).

    Raises:
        RequestValidationError: a malformed tool or choice, a choice naming no declared tool, or
            ``required`` / a named choice without tools.
    """
    if "tools" not in body and "tool_choice" not in body and "parallel_tool_calls" not in body:
        return NO_TOOLS
    tools = parse_tools(body.get("tools"))
    choice = parse_tool_choice(body.get("tool_choice"), tools)
    parallel = body.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise RequestValidationError(
            [f"Field [parallel_tool_calls] must be true or false, got [{json_type(parallel)}]"],
            param="parallel_tool_calls",
        )
    return ToolFields(tools=tools, tool_choice=choice, parallel_tool_calls=parallel)


def parse_tools(raw: Any) -> tuple[Tool, ...]:
    """``tools``: function tools with distinct names."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RequestValidationError(
            [f"Field [tools] must be an array of tools, got [{json_type(raw)}]"], param="tools"
        )
    tools = tuple(_tool(f"tools[{i}]", item) for i, item in enumerate(raw))
    seen: set[str] = set()
    for i, tool in enumerate(tools):
        if tool.name in seen:
            raise RequestValidationError(
                [f"Field [tools[{i}].function.name] repeats [{tool.name}]; each tool needs its own name"],
                param=f"tools[{i}].function.name",
            )
        seen.add(tool.name)
    return tools


def _tool(where: str, item: Any) -> Tool:
    function = item.get("function") if isinstance(item, dict) else None
    if not isinstance(function, dict) or item.get("type", "function") != "function":
        kind = item.get("type") if isinstance(item, dict) else json_type(item)
        raise RequestValidationError(
            [
                f'Field [{where}] must be a function tool {{"type": "function", "function": {{"name": "…", '
                f'"description": "…", "parameters": {{…}}}}}}; got [{kind}]'
            ],
            param=where,
        )
    name = function.get("name")
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        raise RequestValidationError(
            [f"Field [{where}.function.name] must be 1 to 64 letters, digits, _ or -, got [{name}]"],
            param=f"{where}.function.name",
        )
    return Tool(
        name=name,
        description=_optional(where, function, "description", str),
        parameters=_optional(where, function, "parameters", dict),
        strict=_optional(where, function, "strict", bool),
    )


def _optional(where: str, function: dict[str, Any], field: str, kind: type) -> Any:
    value = function.get(field)
    if value is not None and not isinstance(value, kind):
        expected = {str: "a string", dict: "a JSON Schema object", bool: "true or false"}[kind]
        raise RequestValidationError(
            [f"Field [{where}.function.{field}] must be {expected}, got [{json_type(value)}]"],
            param=f"{where}.function.{field}",
        )
    return value


def parse_tool_choice(raw: Any, tools: tuple[Tool, ...]) -> ToolChoice | None:
    """``tool_choice``, checked against the declared ``tools``."""
    if raw is None:
        return None
    choice = _by_string(raw, tools) if isinstance(raw, str) else _named(raw)
    if choice is None:
        given = raw if isinstance(raw, str) else json_type(raw)
        raise RequestValidationError(
            [
                f"Field [tool_choice] must be [auto], [none], [required] or "
                f'{{"type": "function", "function": {{"name": "…"}}}}, got [{given}]'
            ],
            param="tool_choice",
        )
    if choice.mode in ("required", "named") and not tools:
        raise RequestValidationError(
            [f"Field [tool_choice] asks for a tool call ([{choice.name or choice.mode}]) but [tools] is empty"],
            param="tool_choice",
        )
    check_named_tool(choice, tools, param="tool_choice.function.name")
    return choice


def check_named_tool(choice: ToolChoice, tools: tuple[Tool, ...], *, param: str, among: str = "[tools]") -> None:
    """A ``choice`` naming a function must name one of ``tools`` (``param``: where the name sits)."""
    if choice.name is not None and all(t.name != choice.name for t in tools):
        names = ", ".join(t.name for t in tools)
        raise RequestValidationError(
            [f"Field [{param}] is [{choice.name}], which is not one of {among}: [{names}]"], param=param
        )


def _by_string(raw: str, tools: tuple[Tool, ...]) -> ToolChoice | None:
    """A mode, or (TGI's rule, ``ToolTypeDeserializer`` in its ``router/src/lib.rs``) a declared tool's name."""
    mode = _MODES.get(raw)
    if mode is None and any(t.name == raw for t in tools):
        return ToolChoice(mode="named", name=raw)
    return mode


def _named(raw: Any) -> ToolChoice | None:
    if not isinstance(raw, dict) or raw.get("type", "function") != "function":
        return None
    function = raw.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    return ToolChoice(mode="named", name=name) if isinstance(name, str) and name else None
