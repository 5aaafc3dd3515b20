"""OpenAI requests, decoded by :mod:`hfgate.api.openai.schema`, turned into task requests, refusing what
hfgate cannot honour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfgate.api.body import prompt_texts
from hfgate.api.grammar import response_format_grammar
from hfgate.api.openai import schema
from hfgate.api.tools import NO_TOOLS, ToolFields, parse_tool_choice
from hfgate.chat.messages import ChatMessage, ContentPart, ImagePart, TextPart
from hfgate.chat.tools import Tool, ToolCall
from hfgate.errors import BadRequestError, EmptyInputError, RequestValidationError
from hfgate.tasks import GenerationParams

_TRANSLATED = frozenset((
    "model", "max_tokens", "temperature", "top_p", "stop", "seed", "stream", "stream_options", "n", "best_of",
    "logprobs", "top_logprobs", "echo", "suffix", "prompt", "messages", "max_completion_tokens", "tools",
    "tool_choice", "parallel_tool_calls", "response_format", "tool_prompt", "reasoning_effort",
))  # fmt: skip
"""Fields hfgate reads and writes again in its own words (or refuses): every other field of a completion or
chat body is passed through as sent (``GenerationParams.passthrough``). ``tool_prompt`` is TGI's extension,
taken on both chat routes: huggingface_hub sends it to either."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamOptions:
    stream: bool
    include_usage: bool


def generation_params(request: schema.ChatBody | schema.CompletionBody, body: dict[str, Any]) -> GenerationParams:
    """Sampling and stopping controls; the fields of ``body`` (as sent) hfgate does not translate are kept
    in ``passthrough`` (for an OpenAI-compatible upstream; the local service reads what it can).

    Raises:
        BadRequestError: ``n``, ``best_of``, ``logprobs``, ``echo`` or ``suffix`` asks for what hfgate's
            answer cannot carry.
        RequestValidationError: ``response_format`` is not one hfgate can follow.
    """
    _refuse_unsupported(request)
    newer = request.max_completion_tokens if isinstance(request, schema.ChatBody) else None
    max_tokens = newer or request.max_tokens
    temperature = request.temperature
    return GenerationParams(
        max_new_tokens=max_tokens,
        temperature=temperature,
        top_p=request.top_p,
        top_k=request.top_k,
        repetition_penalty=request.repetition_penalty,
        seed=request.seed,
        stop=tuple(request.stop or ()),
        do_sample=None if temperature is None else temperature > 0,
        grammar=response_format_grammar(request.response_format),
        passthrough={k: v for k, v in body.items() if k not in _TRANSLATED},
        reasoning_effort=request.reasoning_effort,
    )


def stream_options(request: schema.ChatBody | schema.CompletionBody) -> StreamOptions:
    options = request.stream_options
    include_usage = bool(options is not None and options.include_usage)
    return StreamOptions(stream=bool(request.stream), include_usage=include_usage)


def prompts(request: schema.CompletionBody) -> list[str]:
    """``prompt``'s texts, none of them empty.

    Raises:
        EmptyInputError: an empty array, or an empty text.
    """
    if not request.prompt:
        raise EmptyInputError(["Field [prompt] cannot be an empty array; give at least one text"], param="prompt")
    return prompt_texts(request.prompt, "prompt")


def embedding_texts(request: schema.EmbeddingsBody) -> list[str]:
    """``input``'s texts (token arrays are refused by the schema).

    Raises:
        RequestValidationError: no ``input``, or an empty array.
    """
    if not request.input:
        raise RequestValidationError(
            ["Field [input] must be a string or a non-empty array of strings; token arrays are not supported, send "
             "text"],
            param="input",
        )  # fmt: skip
    return request.input


def chat_messages(messages: list[schema.Message]) -> tuple[ChatMessage, ...]:
    """The conversation in hfgate's types.

    Raises:
        RequestValidationError: no message, an assistant turn without content or tool calls, a tool turn
            without ``tool_call_id``; the message names the field.
    """
    if not messages:
        raise RequestValidationError(["Field [messages] must be a non-empty array of messages"], param="messages")
    return tuple(_message(f"messages[{i}]", message) for i, message in enumerate(messages))


def _message(where: str, message: schema.Message) -> ChatMessage:
    role, content = message.role, message.content
    if content is not None and len(content) == 1 and role != "tool" and not message.tool_calls:
        part = content[0]
        if isinstance(part, schema.TextPart):
            return ChatMessage(role=role, content=part.text, name=message.name)  # the common case, kept plain
    return _full_message(where, message)


def _full_message(where: str, message: schema.Message) -> ChatMessage:
    role, content = message.role, message.content
    calls = message.tool_calls if role == "assistant" else None
    tool_calls = tuple(ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments) for c in calls or ())
    if content is None and role != "assistant":
        raise RequestValidationError(
            [f"Field [{where}.content] must be a string or an array of parts, got [null]"], param=f"{where}.content"
        )
    if content is None and not tool_calls:
        raise RequestValidationError(
            [f"Field [{where}.content] is required unless the assistant message has [tool_calls]"],
            param=f"{where}.content",
        )
    parts = tuple(_part(part) for part in content or ())
    text = "".join(part.text for part in parts if isinstance(part, TextPart))
    tool_call_id = _tool_call_id(where, message) if role == "tool" else None
    only_text = all(isinstance(part, TextPart) for part in parts)
    return ChatMessage(
        role=role,
        content=text,
        parts=() if only_text else parts,
        tool_calls=tool_calls,
        tool_call_id=tool_call_id,
        name=message.name,
    )


def _part(part: schema.TextPart | schema.ImagePart) -> ContentPart:
    if isinstance(part, schema.TextPart):
        return TextPart(text=part.text)
    return ImagePart(url=part.image_url.url, detail=part.image_url.detail)


def _tool_call_id(where: str, message: schema.Message) -> str:
    if not message.tool_call_id:
        raise RequestValidationError(
            [
                f"Field [{where}.tool_call_id] is required: a tool message answers the assistant's tool call "
                "with that id"
            ],
            param=f"{where}.tool_call_id",
        )
    return message.tool_call_id


def tool_fields(request: schema.ChatBody, body: dict[str, Any]) -> ToolFields:
    """The request's tools and the choice among them (``NO_TOOLS`` when it names none).

    Raises:
        RequestValidationError: two tools of one name, a choice naming no declared tool, or ``required`` /
            a named choice without tools.
    """
    if "tools" not in body and "tool_choice" not in body and "parallel_tool_calls" not in body:
        return NO_TOOLS
    tools = _tools(request.tools or [])
    choice = parse_tool_choice(request.tool_choice, tools)
    return ToolFields(tools=tools, tool_choice=choice, parallel_tool_calls=request.parallel_tool_calls)


def _tools(declared: list[schema.Tool]) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    for i, tool in enumerate(declared):
        function = tool.function
        if any(t.name == function.name for t in tools):
            raise RequestValidationError(
                [f"Field [tools[{i}].function.name] repeats [{function.name}]; each tool needs its own name"],
                param=f"tools[{i}].function.name",
            )
        tools.append(
            Tool(
                name=function.name,
                description=function.description,
                parameters=function.parameters,
                strict=function.strict,
            )
        )
    return tuple(tools)


def _refuse_unsupported(request: schema.ChatBody | schema.CompletionBody) -> None:
    # null is 1, as OpenAI and TGI read it (text-generation's Client.chat sends "n": null)
    if request.n not in (None, 1) or request.best_of not in (None, 1):
        raise BadRequestError("[n] and [best_of] must be 1: hfgate returns one choice", param="n")
    if request.logprobs or request.echo or request.suffix:
        raise BadRequestError(
            "[logprobs], [echo] and [suffix] are not supported: hfgate's answer carries no log probabilities "
            "and no echoed prompt; leave them out",
            param="logprobs",
        )
