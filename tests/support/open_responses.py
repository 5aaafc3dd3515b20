"""Checks of the Open Responses specification's shapes, written here from the spec's text.

Source: the Open Responses specification, github.com/openresponses/openresponses (read 2026-11, spec version
2026-04-24): ``schema/responses.tsp`` (``ResponseResource``, ``Usage``, ``Error``, ``IncompleteDetails``,
``CompactResource``), ``schema/items.tsp`` (``ItemField``: ``Message``, ``FunctionCall``,
``FunctionCallOutput``, ``ReasoningBody``, ``CompactionBody``; the status and role enums), ``schema/events.tsp``
(the streaming events and ``ErrorPayload``) and ``schema/routes.tsp`` (which events a stream may send). Its
compliance suite validates the same things with schemas generated from that spec
(``src/lib/compliance-tests.ts``, ``src/lib/sse-parser.ts``); nothing here is copied from it.

Each ``*_problems`` function returns what is wrong, as ``path: reason`` lines; an empty list is a pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

Check = Callable[[Any], bool]

_STATUSES = ("in_progress", "completed", "incomplete")  # items.tsp: MessageStatus, FunctionCallStatus
_ROLES = ("user", "assistant", "system", "developer")  # items.tsp: MessageRole


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_str(value: Any) -> bool:
    return isinstance(value, str)


def or_null(check: Check) -> Check:
    return lambda value: value is None or check(value)


def one_of(*allowed: Any) -> Check:
    return lambda value: value in allowed


def _fields(where: str, obj: Any, rules: dict[str, Check]) -> list[str]:
    """Every field of ``rules`` present (null counts as present) and passing its check."""
    if not isinstance(obj, dict):
        return [f"{where}: not an object"]
    missing = [f"{where}.{name}: missing" for name in rules if name not in obj]
    wrong = [f"{where}.{name}: {obj[name]!r}" for name, check in rules.items() if name in obj and not check(obj[name])]
    return missing + wrong


# tools.tsp, model FunctionTool: the only member of the Tool union a response lists.
FUNCTION_TOOL: dict[str, Check] = {
    "type": one_of("function"),
    "name": is_str,
    "description": or_null(is_str),
    "parameters": or_null(lambda v: isinstance(v, dict)),
    "strict": or_null(lambda v: isinstance(v, bool)),
}

# responses.tsp, model ResponseResource: every field is required; these may be null and no others.
RESPONSE_RULES: dict[str, Check] = {
    "id": is_str,
    "object": one_of("response"),
    "created_at": is_int,
    "completed_at": or_null(is_int),
    "status": is_str,
    "incomplete_details": or_null(lambda v: isinstance(v, dict) and is_str(v.get("reason"))),
    "model": is_str,
    "previous_response_id": or_null(is_str),
    "instructions": or_null(is_str),
    "output": lambda v: isinstance(v, list),
    "error": or_null(lambda v: isinstance(v, dict) and is_str(v.get("code")) and is_str(v.get("message"))),
    "tools": lambda v: isinstance(v, list) and all(not _fields("tool", t, FUNCTION_TOOL) for t in v),
    # FunctionToolChoice | ToolChoiceValueEnum | AllowedToolChoice
    "tool_choice": lambda v: v in ("none", "auto", "required") or (isinstance(v, dict) and is_str(v.get("type"))),
    "truncation": one_of("auto", "disabled"),  # TruncationEnum
    "parallel_tool_calls": lambda v: isinstance(v, bool),
    # configuration.tsp, model TextField: a format of one of three types
    "text": lambda v: (
        isinstance(v, dict)
        and isinstance(v.get("format"), dict)
        and v["format"].get("type") in ("text", "json_object", "json_schema")
    ),
    "top_p": is_number,
    "presence_penalty": is_number,
    "frequency_penalty": is_number,
    "top_logprobs": is_int,
    "temperature": is_number,
    "reasoning": or_null(lambda v: isinstance(v, dict)),
    "usage": lambda v: v is None or not usage_problems("usage", v),
    "max_output_tokens": or_null(is_int),
    "max_tool_calls": or_null(is_int),
    "store": lambda v: isinstance(v, bool),
    "background": lambda v: isinstance(v, bool),
    "service_tier": is_str,
    "metadata": lambda v: True,  # "unknown", but required
    "safety_identifier": or_null(is_str),
    "prompt_cache_key": or_null(is_str),
}


def usage_problems(where: str, usage: Any) -> list[str]:
    """responses.tsp, models Usage, InputTokensDetails, OutputTokensDetails."""
    rules: dict[str, Check] = {"input_tokens": is_int, "output_tokens": is_int, "total_tokens": is_int,
                               "input_tokens_details": _is_dict, "output_tokens_details": _is_dict}  # fmt: skip
    problems = _fields(where, usage, rules)
    if problems:
        return problems
    return _fields(f"{where}.input_tokens_details", usage["input_tokens_details"], {"cached_tokens": is_int}) + _fields(
        f"{where}.output_tokens_details", usage["output_tokens_details"], {"reasoning_tokens": is_int}
    )


def response_problems(response: Any, *, where: str = "response") -> list[str]:
    """A ``ResponseResource``: every field with its type or allowed values, then each output item."""
    problems = _fields(where, response, RESPONSE_RULES)
    if not problems:
        for i, item in enumerate(response["output"]):
            problems += item_problems(item, where=f"{where}.output[{i}]")
    return problems


def _text_part(where: str, part: Any) -> list[str]:
    """content.tsp's parts as a Message carries them; output_text needs its annotations and logprobs."""
    if not isinstance(part, dict) or not is_str(part.get("type")):
        return [f"{where}: not a content part"]
    if part["type"] == "output_text":
        return _fields(where, part, {"text": is_str, "annotations": _is_list, "logprobs": _is_list})
    if part["type"] in ("input_text", "text", "summary_text", "reasoning_text"):
        return _fields(where, part, {"text": is_str})
    return []


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


_ITEMS: dict[str, dict[str, Check]] = {  # items.tsp, union ItemField
    "message": {"id": is_str, "status": one_of(*_STATUSES), "role": one_of(*_ROLES), "content": _is_list},
    "function_call": {"id": is_str, "call_id": is_str, "name": is_str, "arguments": is_str,
                      "status": one_of(*_STATUSES)},
    "function_call_output": {"id": is_str, "call_id": is_str, "output": lambda v: is_str(v) or _is_list(v),
                             "status": one_of(*_STATUSES)},
    "reasoning": {"id": is_str, "summary": _is_list},
    "compaction": {"id": is_str, "encrypted_content": is_str},
}  # fmt: skip


def item_problems(item: Any, *, where: str) -> list[str]:
    """An ``ItemField``: one of the spec's item types, with its required fields."""
    kind = item.get("type") if isinstance(item, dict) else None
    if kind not in _ITEMS:
        return [f"{where}.type: {kind!r} is not an ItemField type ({', '.join(_ITEMS)})"]
    problems = _fields(where, item, _ITEMS[kind])
    if kind == "message" and not problems:
        for j, part in enumerate(item["content"]):
            problems += _text_part(f"{where}.content[{j}]", part)
    return problems


def _item_or_null(value: Any) -> bool:
    return value is None or not item_problems(value, where="item")


_AT_ITEM: dict[str, Check] = {"item_id": is_str, "output_index": is_int}
_AT_PART: dict[str, Check] = _AT_ITEM | {"content_index": is_int}
_LIFECYCLE = ("created", "queued", "in_progress", "completed", "failed", "incomplete")
EVENT_RULES: dict[str, dict[str, Check]] = {  # events.tsp, each model's required fields; routes.tsp's union
    **{f"response.{kind}": {"response": lambda v: not response_problems(v)} for kind in _LIFECYCLE},
    "response.output_item.added": {"output_index": is_int, "item": _item_or_null},
    "response.output_item.done": {"output_index": is_int, "item": _item_or_null},
    "response.content_part.added": _AT_PART | {"part": lambda v: not _text_part("part", v)},
    "response.content_part.done": _AT_PART | {"part": lambda v: not _text_part("part", v)},
    "response.output_text.delta": _AT_PART | {"delta": is_str},
    "response.output_text.done": _AT_PART | {"text": is_str},
    "response.refusal.delta": _AT_PART | {"delta": is_str},
    "response.refusal.done": _AT_PART | {"refusal": is_str},
    "response.reasoning.delta": _AT_PART | {"delta": is_str},
    "response.reasoning.done": _AT_PART | {"text": is_str},
    "response.reasoning_summary_part.added": _AT_ITEM | {"summary_index": is_int, "part": lambda v: True},
    "response.reasoning_summary_part.done": _AT_ITEM | {"summary_index": is_int, "part": lambda v: True},
    "response.reasoning_summary_text.delta": _AT_ITEM | {"summary_index": is_int, "delta": is_str},
    "response.reasoning_summary_text.done": _AT_ITEM | {"summary_index": is_int, "text": is_str},
    "response.output_text.annotation.added": _AT_PART | {"annotation_index": is_int, "annotation": lambda v: True},
    "response.function_call_arguments.delta": _AT_ITEM | {"delta": is_str},
    "response.function_call_arguments.done": _AT_ITEM | {"arguments": is_str},
    # ErrorStreamingEvent's ErrorPayload
    "error": {"error": lambda v: not _fields("error", v, {"type": is_str, "code": or_null(is_str), "message": is_str,
                                                          "param": or_null(is_str)})},
}  # fmt: skip


def event_problems(event: Any, *, where: str = "event") -> list[str]:
    """A streaming event: a type the spec's stream union names, a ``sequence_number``, its own fields."""
    kind = event.get("type") if isinstance(event, dict) else None
    if kind not in EVENT_RULES:
        return [f"{where}.type: {kind!r} is not a streaming event of the spec"]
    return _fields(f"{where}[{kind}]", event, {"sequence_number": is_int} | EVENT_RULES[kind])


def compact_problems(compacted: Any) -> list[str]:
    """responses.tsp, model CompactResource."""
    rules: dict[str, Check] = {"id": is_str, "object": one_of("response.compaction"), "output": _is_list,
                               "created_at": is_int, "usage": lambda v: not usage_problems("usage", v)}  # fmt: skip
    problems = _fields("compaction", compacted, rules)
    if not problems:
        for i, item in enumerate(compacted["output"]):
            problems += item_problems(item, where=f"compaction.output[{i}]")
    return problems


def sse_events(answer: httpx.Response) -> Iterator[dict[str, Any]]:
    """The stream's events as the suite reads them: ``data:`` lines ended by a blank line, ``[DONE]`` skipped."""
    data = ""
    for line in answer.iter_lines():
        if line.startswith("data:"):
            data = line[5:].strip()
        elif line == "" and data:
            if data != "[DONE]":
                yield json.loads(data)
            data = ""
