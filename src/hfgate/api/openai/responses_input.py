"""A Responses API request body (``POST /v1/responses``) read into what a chat needs.

Source: OpenAI's Responses API reference (function ``tools`` in the flat ``{"type": "function", "name",
"parameters"}`` shape; ``tool_choice`` ``auto`` / ``none`` / ``required`` / ``{"type": "function", "name"}``).
The input items are read by :mod:`~hfgate.api.openai.responses_items`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from hfgate.api.body import decode, typed
from hfgate.api.openai.requests import response_format_grammar
from hfgate.api.openai.responses_items import normalize_items
from hfgate.api.openai.responses_schema import ResponsesRequest
from hfgate.api.openai.responses_threshold import compact_threshold
from hfgate.api.tools import check_named_tool
from hfgate.chat.tools import Tool, ToolChoice
from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.tasks import GenerationParams

_NAMED = frozenset(ResponsesRequest.model_fields)
"""The fields hfgate reads; every other field (Codex's ``client_metadata``, an engine's ``min_p``…) is passed
through to the chat the request becomes (``GenerationParams.passthrough``). The prompt cache's hints are read
and ignored (hfgate keeps no prompt cache). ``reasoning.effort`` (or chat's ``reasoning_effort``) goes to an
OpenAI-compatible upstream as ``reasoning_effort``; ``include: ["reasoning.encrypted_content"]`` (what Codex
sends) is accepted, though no reasoning hfgate relays is encrypted: its reasoning items carry the text."""

_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_log = logging.getLogger("hfgate.api")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponsesCall:
    """What one ``POST /v1/responses`` asks for.

    ``items`` are the request's own input items, canonical; ``echo`` holds the request fields the response
    object repeats (``tools``, ``tool_choice``, ``text``, ``metadata``…) as the client sent them.
    """

    model: str
    items: tuple[dict[str, Any], ...]
    instructions: str | None
    tools: tuple[Tool, ...]
    tool_choice: ToolChoice | None
    parallel_tool_calls: bool | None
    params: GenerationParams
    stream: bool
    store: bool
    previous_response_id: str | None
    compact_threshold: int | None = None
    """``context_management``'s compaction: compact the conversation first when its prompt reaches this many
    tokens (``responses_compact.compact_threshold``)."""
    echo: dict[str, Any] = field(default_factory=dict)


def read_call(body: dict[str, Any]) -> ResponsesCall:
    """The request, decoded (:class:`ResponsesRequest`) and checked; ``body`` is the request as sent, whose
    fields the model does not name are passed through.

    Raises:
        RequestValidationError, BadRequestError: a field is missing, malformed or unsupported; the message
            names it as the client spelled it.
    """
    asked = decode(body, ResponsesRequest)
    _refuse_unsupported(asked)
    tools = function_tools(asked.tools or [])
    return ResponsesCall(
        model=asked.model,
        items=normalize_items(asked.input),
        instructions=asked.instructions,
        tools=tools,
        tool_choice=_checked(_tool_choice(asked.tool_choice), tools),
        parallel_tool_calls=asked.parallel_tool_calls,
        params=_params(asked, body),
        stream=bool(asked.stream),
        store=asked.store is not False,
        previous_response_id=asked.previous_response_id,
        compact_threshold=compact_threshold(asked.context_management),
        echo=_echo(asked, tools),
    )


def function_tools(tools_raw: list[Any]) -> tuple[Tool, ...]:
    """The ``function`` tools of ``tools``; built-in and custom tools (``web_search``, ``local_shell``,
    ``custom``, ``file_search``…) are left out with a log line (and of the response's ``tools``), not refused:
    Codex declares ``web_search``
    by default (its ``web_search = "cached"`` setting), and a model here could never call them anyway.

    Raises:
        RequestValidationError: an entry is not an object with a ``type``, or a function tool is malformed.
    """
    tools, skipped = [], []
    for index, raw in enumerate(tools_raw):
        kind = raw.get("type") if isinstance(raw, dict) else None
        if not isinstance(kind, str):
            raise RequestValidationError(
                [f'Field [tools[{index}]] must be a tool object with a [type], e.g. {{"type": "function", …}}'],
                param=f"tools[{index}].type",
            )
        if kind == "function":
            tools.append(_tool(index, raw))
        else:
            skipped.append(kind)
    if skipped:
        _log.info("built-in tools left out: %s", ", ".join(skipped), extra={"event": "responses.tools_ignored"})
    return tuple(tools)


def _tool(index: int, raw: dict[str, Any]) -> Tool:
    where = f"tools[{index}]"
    name = raw.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
        raise RequestValidationError(
            [f"Field [{where}.name] must be 1-64 letters, digits, _ or -, got [{name}]"], param=f"{where}.name"
        )
    parameters = typed(raw, "parameters", kind=dict)
    description = typed(raw, "description", kind=str)
    return Tool(name=name, description=description, parameters=parameters, strict=typed(raw, "strict", kind=bool))


def _tool_choice(raw: Any) -> ToolChoice | None:
    if raw is None:
        return None
    if raw in ("auto", "none", "required"):
        return ToolChoice(mode=raw)
    if isinstance(raw, dict) and raw.get("type") == "function" and isinstance(raw.get("name"), str):
        return ToolChoice(mode="named", name=raw["name"])
    raise RequestValidationError(
        ['Field [tool_choice] must be "auto", "none", "required" or {"type": "function", "name": "…"}'],
        param="tool_choice",
    )


def _checked(choice: ToolChoice | None, tools: tuple[Tool, ...]) -> ToolChoice | None:
    """A choice that asks for a call needs a function tool to call, and a named one must be declared."""
    if choice is None or choice.mode in ("auto", "none"):
        return choice
    if not tools:
        raise RequestValidationError(
            [f"Field [tool_choice] asks for a call ([{choice.name or choice.mode}]) but [tools] declares no "
             "function tool (built-in tools are left out here)"],
            param="tool_choice",
        )  # fmt: skip
    check_named_tool(choice, tools, param="tool_choice.name", among="the function [tools]")
    return choice


def _params(asked: ResponsesRequest, body: dict[str, Any]) -> GenerationParams:
    return GenerationParams(
        max_new_tokens=asked.max_output_tokens,
        temperature=asked.temperature,
        top_p=asked.top_p,
        do_sample=None if asked.temperature is None else asked.temperature > 0,
        grammar=response_format_grammar(_text_format(asked.text or {})),
        passthrough={k: v for k, v in body.items() if k not in _NAMED},
        reasoning_effort=_effort(asked),
        sent_as={"max_new_tokens": "max_output_tokens"},
    )


def _effort(asked: ResponsesRequest) -> str | None:
    """``reasoning.effort``, or chat's ``reasoning_effort``."""
    return (asked.reasoning.effort if asked.reasoning else None) or asked.reasoning_effort


def _text_format(text: dict[str, Any]) -> dict[str, Any] | None:
    """``text.format`` in chat's ``response_format`` shape (the schema's fields sit one level up here)."""
    fmt = text.get("format")
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return fmt if isinstance(fmt, dict) or fmt is None else {"type": fmt}
    spec = {name: fmt[name] for name in ("name", "schema", "strict") if name in fmt}
    return {"type": "json_schema", "json_schema": spec}


def _echo(asked: ResponsesRequest, tools: tuple[Tool, ...]) -> dict[str, Any]:
    return {
        "tools": [_tool_entry(tool) for tool in tools],
        "tool_choice": asked.tool_choice or "auto",
        "text": _text_echo(asked.text or {}),
        "metadata": asked.metadata or {},
        "user": asked.user,
        "safety_identifier": asked.safety_identifier,
        "prompt_cache_key": asked.prompt_cache_key,
        "truncation": asked.truncation or "disabled",
        "reasoning": {"effort": _effort(asked), "summary": asked.reasoning.summary if asked.reasoning else None},
    }


def _text_echo(text: dict[str, Any]) -> dict[str, Any]:
    """``text`` as the response gives it: Open Responses' ``TextField`` always has a ``format``, a
    ``json_schema`` one with its ``description`` and ``strict`` (openresponses/openresponses,
    ``schema/configuration.tsp``)."""
    fmt = text.get("format")
    if isinstance(fmt, str):
        fmt = {"type": fmt}
    if not isinstance(fmt, dict):
        fmt = {"type": "text"}
    if fmt.get("type") == "json_schema":
        fmt = {"description": None, "strict": False, **fmt}
    return {**text, "format": fmt}


def _tool_entry(tool: Tool) -> dict[str, Any]:
    """A function tool as the response lists it: Open Responses' ``FunctionTool``, every field present
    (openresponses/openresponses, ``schema/tools.tsp``). Built-in tools the model never saw are not listed."""
    return {"type": "function", "name": tool.name, "description": tool.description, "parameters": tool.parameters,
            "strict": tool.strict}  # fmt: skip


def _refuse_unsupported(asked: ResponsesRequest) -> None:
    if asked.background:
        raise BadRequestError("[background] responses are not supported; send the request and wait", param="background")
    if asked.top_logprobs not in (None, 0):
        raise BadRequestError("[top_logprobs] is not supported by hfgate's Responses API", param="top_logprobs")
    for name, instead in (("conversation", "[previous_response_id]"), ("prompt", "[instructions] and [input]")):
        if getattr(asked, name) is not None:
            raise BadRequestError(f"[{name}] is not supported by hfgate's Responses API; use {instead}", param=name)
    if asked.max_tool_calls is not None:
        raise BadRequestError("[max_tool_calls] is not supported; leave it out", param="max_tool_calls")
    if "message.output_text.logprobs" in (asked.include or ()):
        raise BadRequestError(
            "[include] asks for [message.output_text.logprobs]; hfgate's responses carry no log probabilities, "
            "leave it out of [include]",
            param="include",
        )
