"""The tools a model may call, the choice of whether it must, and its calls, whole and streamed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """A call of a function tool: its id (``call_…``), the function's name and its arguments as JSON
    text (as OpenAI carries them: the text the model wrote, an object when valid)."""

    id: str
    name: str
    arguments: str

    def arguments_object(self) -> dict[str, Any]:
        """The arguments as an object; text that is not a JSON object (a small model's slip) is kept whole
        under the one key ``arguments``, rather than lost.

        Example:
            >>> ToolCall(id="c", name="f", arguments="oops").arguments_object()
            {'arguments': 'oops'}
        """
        try:
            parsed = orjson.loads(self.arguments or "{}")
        except orjson.JSONDecodeError:
            return {"arguments": self.arguments}
        return parsed if isinstance(parsed, dict) else {"arguments": parsed}


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallDelta:
    """A piece of a streamed tool call, as OpenAI streams them: the first piece of a call carries its
    ``index`` (its place among the answer's calls), ``id`` and ``name``; the following ones the same
    ``index`` and a fragment of ``arguments``. The fragments joined are the call's arguments."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    """A function the model may call: its name, what it does, and its arguments' JSON Schema
    (``parameters``, ``None`` when the function takes none). ``strict`` is OpenAI's flag asking that
    the arguments match the schema exactly (``None`` when not given)."""

    name: str
    description: str | None = None
    parameters: Mapping[str, Any] | None = None
    strict: bool | None = None


ToolChoiceMode = Literal["auto", "none", "required", "named"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolChoice:
    """Whether the model may (``auto``), must not (``none``) or must (``required``) call a tool, or
    must call the one tool ``name`` (``named``, OpenAI's ``{"type": "function", "function": {"name"}}``)."""

    mode: ToolChoiceMode
    name: str | None = None


TOOL_CHOICE_AUTO = ToolChoice(mode="auto")
TOOL_CHOICE_NONE = ToolChoice(mode="none")
TOOL_CHOICE_REQUIRED = ToolChoice(mode="required")
