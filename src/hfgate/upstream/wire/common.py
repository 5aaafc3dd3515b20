"""What every wire-format module shares: the protocol error, and a finished generation's shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfgate.chat.tools import ToolCall
from hfgate.tasks import FinishReason, Usage


class WireFormatError(ValueError):
    """A 2xx answer whose body is not what the protocol promises; the message says what is wrong.

    The upstream client turns it into an :class:`~hfgate.errors.UpstreamServerError` naming the
    endpoint and the url.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamText:
    """A finished generation as the upstream reported it; ``usage`` is the upstream's own count."""

    text: str
    finish_reason: FinishReason
    usage: Usage | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    reasoning: str = ""


def finish_reason(value: Any, *, default: FinishReason = "eos_token") -> FinishReason:
    """TGI's or OpenAI's finish reason in TGI's words."""
    return _FINISH.get(value, default) if isinstance(value, str) else default


_FINISH: dict[str, FinishReason] = {
    "length": "length",
    "eos_token": "eos_token",
    "stop_sequence": "stop_sequence",
    "stop": "eos_token",
    "tool_calls": "tool_calls",
}


def sub_dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` when it is an object, else an empty one (optional parts of an answer)."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def as_dict(value: Any, what: str) -> dict[str, Any]:
    """``value`` when it is a JSON object.

    Raises:
        WireFormatError: it is not.
    """
    if not isinstance(value, dict):
        raise WireFormatError(f"expected {what} to be an object, got [{type(value).__name__}]")
    return value
