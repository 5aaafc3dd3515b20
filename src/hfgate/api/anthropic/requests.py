"""A Messages API request body (``POST /v1/messages``) read into what a chat needs.

Source: Anthropic's Messages API reference: ``model``, ``max_tokens`` (required), ``messages``,
``system``, ``stop_sequences``, ``temperature``, ``top_p``, ``top_k``, ``stream``, ``tools``
(``{"name", "description", "input_schema"}``), ``tool_choice`` (``{"type": "auto" | "any" | "tool" |
"none", "name", "disable_parallel_tool_use"}``), ``metadata``, ``thinking``, ``service_tier``.

``thinking`` and ``output_config.effort`` become the upstream's ``reasoning_effort`` (``reasoning``);
``metadata.user_id`` names the agent session in the access log (``telemetry.session``).
Fields are not refused for being unknown: a field hfgate has no use for (``service_tier``,
``context_management``, ``cache_control``…) is read and ignored, as it changes nothing in the answer a
model here can give (``context_management``'s ``clear_thinking`` edits are what hfgate does anyway: earlier
thinking is never sent on). Refused, naming the field, is only what would otherwise be silently wrong: a
server tool (web search, code execution…) hfgate cannot run, MCP servers, a container.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hfgate.api.anthropic.content import conversation
from hfgate.api.anthropic.reasoning import reasoning_effort
from hfgate.api.body import json_type, number, typed
from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import TOOL_CHOICE_AUTO, TOOL_CHOICE_NONE, TOOL_CHOICE_REQUIRED, Tool, ToolChoice
from hfgate.errors import BadRequestError, ParseError, RequestValidationError
from hfgate.tasks import GenerationParams

_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MODES = {"auto": TOOL_CHOICE_AUTO, "any": TOOL_CHOICE_REQUIRED, "none": TOOL_CHOICE_NONE}


@dataclass(frozen=True, slots=True, kw_only=True)
class MessagesCall:
    """What one ``POST /v1/messages`` asks for."""

    model: str
    messages: tuple[ChatMessage, ...]
    params: GenerationParams
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    stream: bool = False


def read_call(body: dict[str, Any], *, counting: bool = False) -> MessagesCall:
    """The request, checked; ``counting`` (``count_tokens``) does not need ``max_tokens``.

    Raises:
        ParseError, RequestValidationError, BadRequestError: a field is missing, malformed or cannot be
            honoured; the message names it.
    """
    _refuse_unsupported(body)
    tools = _tools(typed(body, "tools", kind=list, default=[]))
    choice, parallel = _tool_choice(body.get("tool_choice"), tools)
    return MessagesCall(
        model=model_of(body),
        messages=conversation(body.get("system"), body.get("messages")),
        params=_params(body, counting=counting),
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=parallel,
        stream=bool(typed(body, "stream", kind=bool, default=False)),
    )


def model_of(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ParseError("[model] is required: the id of an hfgate chat endpoint (GET /v1/models)", param="model")
    return model


def _params(body: dict[str, Any], *, counting: bool) -> GenerationParams:
    max_tokens = typed(body, "max_tokens", kind=int)
    if not counting and (max_tokens is None or max_tokens < 1):
        raise RequestValidationError(
            [f"Field [max_tokens] is required: the most tokens to generate, an integer of 1 or more, got "
             f"[{json_type(max_tokens) if max_tokens is None else max_tokens}]"],
            param="max_tokens",
        )  # fmt: skip
    temperature = number(body, "temperature")
    return GenerationParams(
        max_new_tokens=max_tokens,
        temperature=temperature,
        top_p=number(body, "top_p"),
        top_k=typed(body, "top_k", kind=int),
        stop=_stop_sequences(body.get("stop_sequences")),
        do_sample=None if temperature is None else temperature > 0,
        reasoning_effort=reasoning_effort(body),
    )


def _stop_sequences(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, list) and all(isinstance(s, str) and s for s in raw):
        return tuple(raw)
    raise RequestValidationError(
        [f"Field [stop_sequences] must be an array of non-empty strings, got [{json_type(raw)}]"],
        param="stop_sequences",
    )


def _tools(raw: list[Any]) -> tuple[Tool, ...]:
    tools = tuple(_tool(f"tools[{i}]", item) for i, item in enumerate(raw))
    names = [t.name for t in tools]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise RequestValidationError(
                [f"Field [tools[{i}].name] repeats [{name}]; each tool needs its own name"], param=f"tools[{i}].name"
            )
    return tools


def _tool(where: str, item: Any) -> Tool:
    if not isinstance(item, dict):
        raise RequestValidationError([f"Field [{where}] must be a tool object, got [{json_type(item)}]"], param=where)
    kind = item.get("type", "custom")
    if kind != "custom":
        raise BadRequestError(
            f"[{where}.type] is [{kind}], a server tool Anthropic runs itself; hfgate runs client tools only "
            '({"name", "description", "input_schema"}): declare it as one and run it in your client',
            param=f"{where}.type",
        )
    name = item.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
        raise RequestValidationError(
            [f"Field [{where}.name] must be 1-64 letters, digits, _ or -, got [{name}]"], param=f"{where}.name"
        )
    schema = item.get("input_schema")
    if not isinstance(schema, dict):
        raise RequestValidationError(
            [f'Field [{where}.input_schema] is required: a JSON Schema object such as {{"type": "object"}}, got '
             f"[{json_type(schema)}]"],
            param=f"{where}.input_schema",
        )  # fmt: skip
    return Tool(name=name, description=typed(item, "description", kind=str), parameters=schema)


def _tool_choice(raw: Any, tools: tuple[Tool, ...]) -> tuple[ToolChoice | None, bool | None]:
    if raw is None:
        return None, None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or (kind not in _MODES and kind != "tool"):
        raise RequestValidationError(
            ['Field [tool_choice] must be {"type": "auto"}, {"type": "any"}, {"type": "none"} or '
             '{"type": "tool", "name": "…"}'],
            param="tool_choice",
        )  # fmt: skip
    parallel = False if raw.get("disable_parallel_tool_use") is True else None
    if kind != "tool":
        choice = _MODES[kind]
    elif any(t.name == raw.get("name") for t in tools):
        choice = ToolChoice(mode="named", name=raw["name"])
    else:
        names = ", ".join(t.name for t in tools)
        raise RequestValidationError(
            [f"Field [tool_choice.name] is [{raw.get('name')}], which is not one of [tools]: [{names}]"],
            param="tool_choice.name",
        )
    if choice.mode == "required" and not tools:
        raise RequestValidationError(['Field [tool_choice] is {"type": "any"} but [tools] is empty'], param="tools")
    return choice, parallel


def _refuse_unsupported(body: dict[str, Any]) -> None:
    for name, what in (("mcp_servers", "MCP servers"), ("container", "a code execution container")):
        if body.get(name):
            raise BadRequestError(
                f"[{name}] asks for {what}, which hfgate does not run; leave [{name}] out", param=name
            )
