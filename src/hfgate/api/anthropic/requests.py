"""A Messages API request (``POST /v1/messages``, decoded by :mod:`~hfgate.api.anthropic.schema`) read
into what a chat needs.

``thinking`` and ``output_config.effort`` become the upstream's ``reasoning_effort`` (``reasoning``);
``metadata.user_id`` names the agent session in the access log (``telemetry.request_scope``).
Fields are not refused for being unknown: a field hfgate has no use for (``service_tier``,
``context_management``, ``cache_control``…) is dropped by the schema, as it changes nothing in the answer a
model here can give (``context_management``'s ``clear_thinking`` edits are what hfgate does anyway: earlier
thinking is never sent on). Refused here, naming the field, is only what would otherwise be silently wrong: a
server tool (web search, code execution…) hfgate cannot run, MCP servers, a container.
"""

from __future__ import annotations

from dataclasses import dataclass

from hfgate.api.anthropic import schema
from hfgate.api.anthropic.content import conversation
from hfgate.api.anthropic.reasoning import reasoning_effort
from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import TOOL_CHOICE_AUTO, TOOL_CHOICE_NONE, TOOL_CHOICE_REQUIRED, Tool, ToolChoice
from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.tasks import GenerationParams

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


def read_call(request: schema.MessagesRequest | schema.CountTokensRequest) -> MessagesCall:
    """The request, checked; a ``count_tokens`` request has no generation parameters.

    Raises:
        RequestValidationError, BadRequestError: a field cannot be honoured; the message names it.
    """
    _refuse_unsupported(request)
    tools = _tools(request.tools or [])
    choice, parallel = _tool_choice(request.tool_choice, tools)
    return MessagesCall(
        model=request.model,
        messages=conversation(request.system, request.messages),
        params=_params(request),
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=parallel,
        stream=isinstance(request, schema.MessagesRequest) and bool(request.stream),
    )


def _params(request: schema.MessagesRequest | schema.CountTokensRequest) -> GenerationParams:
    effort = reasoning_effort(request.thinking, request.output_config)
    if not isinstance(request, schema.MessagesRequest):
        return GenerationParams(reasoning_effort=effort)
    temperature = request.temperature
    return GenerationParams(
        max_new_tokens=request.max_tokens,
        temperature=temperature,
        top_p=request.top_p,
        top_k=request.top_k,
        stop=tuple(request.stop_sequences or ()),
        do_sample=None if temperature is None else temperature > 0,
        reasoning_effort=effort,
        sent_as={"max_new_tokens": "max_tokens"},
    )


def _tools(declared: list[schema.ClientTool | schema.ServerTool]) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    for i, tool in enumerate(declared):
        if isinstance(tool, schema.ServerTool):
            raise BadRequestError(
                f"[tools[{i}].type] is [{tool.type}], a server tool Anthropic runs itself; hfgate runs client "
                'tools only ({"name", "description", "input_schema"}): declare it as one and run it in your client',
                param=f"tools[{i}].type",
            )
        if any(t.name == tool.name for t in tools):
            raise RequestValidationError(
                [f"Field [tools[{i}].name] repeats [{tool.name}]; each tool needs its own name"],
                param=f"tools[{i}].name",
            )
        tools.append(Tool(name=tool.name, description=tool.description, parameters=tool.input_schema))
    return tuple(tools)


def _tool_choice(
    raw: schema.ToolChoiceMode | schema.ToolChoiceNamed | None, tools: tuple[Tool, ...]
) -> tuple[ToolChoice | None, bool | None]:
    if raw is None:
        return None, None
    parallel = False if raw.disable_parallel_tool_use is True else None
    if isinstance(raw, schema.ToolChoiceMode):
        choice = _MODES[raw.type]
    elif any(t.name == raw.name for t in tools):
        choice = ToolChoice(mode="named", name=raw.name)
    else:
        names = ", ".join(t.name for t in tools)
        raise RequestValidationError(
            [f"Field [tool_choice.name] is [{raw.name}], which is not one of [tools]: [{names}]"],
            param="tool_choice.name",
        )
    if choice.mode == "required" and not tools:
        raise RequestValidationError(['Field [tool_choice] is {"type": "any"} but [tools] is empty'], param="tools")
    return choice, parallel


def _refuse_unsupported(request: schema.CountTokensRequest) -> None:
    for name, what, value in (("mcp_servers", "MCP servers", request.mcp_servers),
                              ("container", "a code execution container", request.container)):  # fmt: skip
        if value:
            raise BadRequestError(
                f"[{name}] asks for {what}, which hfgate does not run; leave [{name}] out", param=name
            )
