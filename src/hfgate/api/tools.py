"""A chat request's ``tool_choice`` (checked against its declared tools) and the three tool fields as a
chat request carries them; the tools themselves are decoded by :mod:`hfgate.api.chat_schema`.

``tool_choice`` is ``auto``, ``none``, ``required`` or ``{"type": "function", "function": {"name"}}``
(TGI also takes a declared tool's name as a plain string).
Source: OpenAI's Chat Completions API reference; Elasticsearch's unified chat completion schema and
TGI's chat (``type`` may be left out) take the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfgate.api.body import json_type
from hfgate.chat.tools import TOOL_CHOICE_AUTO, TOOL_CHOICE_NONE, TOOL_CHOICE_REQUIRED, Tool, ToolChoice
from hfgate.errors import RequestValidationError

_MODES = {"auto": TOOL_CHOICE_AUTO, "none": TOOL_CHOICE_NONE, "required": TOOL_CHOICE_REQUIRED}


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolFields:
    """The three fields as the chat request carries them."""

    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None


NO_TOOLS = ToolFields()


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
