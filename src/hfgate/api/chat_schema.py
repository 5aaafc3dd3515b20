"""Chat messages and function tools in OpenAI's shape, which OpenAI's Chat Completions, TGI's chat and
Elasticsearch's unified chat completion share: pydantic models that decode them (and document them in the
OpenAPI document), and their conversion to hfgate's chat types.

A message is ``{"role", "content"}``; ``content`` is a string or an array of parts (``text``, and
``image_url`` with an ``http(s)://`` or ``data:image/…`` url). An assistant message may carry
``tool_calls`` (then ``content`` may be null); a ``tool`` message answers one with ``tool_call_id``. A tool
is ``{"type": "function", "function": {"name", "description", "parameters", "strict"}}``.
Source: OpenAI's Chat Completions API reference (``messages``, ``tools``), Elasticsearch's unified chat
completion schema (the same fields), TGI's chat (``type`` may be left out).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hfgate.api.body import json_type
from hfgate.api.tools import NO_TOOLS, ToolFields, parse_tool_choice
from hfgate.chat import messages as chat_types
from hfgate.chat import tools as tool_types
from hfgate.errors import EmptyInputError, RequestValidationError

ROLES = ("system", "developer", "user", "assistant", "tool")
"""The roles of OpenAI's chat messages; a chat template knows no others."""

IMAGE_URL_SCHEMES = ("http://", "https://", "data:image/")
"""What an ``image_url`` part's url may start with: a url the model's server fetches, or the image inline."""

TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""OpenAI's rule for a function's name."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


NonEmpty = Annotated[str, StringConstraints(min_length=1)]


# chat messages


def _role(role: str) -> str:
    if role not in ROLES:
        raise PydanticCustomError(
            "role", "is [{role}]; a message's role is one of [{roles}]", {"role": role, "roles": ", ".join(ROLES)}
        )
    return role


def _parts(value: Any) -> Any:
    """A string is one text part; anything else but an array (or null) is refused here, naming both forms."""
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    if value is not None and not isinstance(value, list):
        raise PydanticCustomError(
            "content", "must be a string or an array of parts, got [{kind}]", {"kind": json_type(value)}
        )
    return value


def _url(url: str) -> str:
    if not url.startswith(IMAGE_URL_SCHEMES):
        shown = url if len(url) <= 40 else url[:40] + "…"
        raise PydanticCustomError(
            "image_url", "must be an http(s):// url or a data:image/…;base64,… url, got [{url}]", {"url": shown}
        )
    return url


class TextPart(_Wire):
    type: Literal["text"]
    text: str


class ImageUrl(_Wire):
    url: Annotated[str, AfterValidator(_url)] = Field(description="an http(s):// url or a data:image/…;base64 url")
    detail: Literal["auto", "low", "high"] | None = None


def _image_url(value: Any) -> Any:
    return {"url": value} if isinstance(value, str) else value  # an older form: the url itself


class ImagePart(_Wire):
    type: Literal["image_url"]
    image_url: Annotated[ImageUrl, BeforeValidator(_image_url)]


Part = Annotated[TextPart | ImagePart, Field(discriminator="type")]
Content = Annotated[list[Part] | None, BeforeValidator(_parts, json_schema_input_type=str | list[Part] | None)]
"""A string or parts, read as the parts (``str`` is one text part); null on an assistant turn with tool calls."""


class FunctionCall(_Wire):
    name: NonEmpty
    arguments: str = Field(default="{}", description="the arguments as a JSON text")


class ToolCall(_Wire):
    id: NonEmpty
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(_Wire):
    """``content``: text, or parts (``text``, ``image_url``); null on an assistant turn with ``tool_calls``;
    a ``tool`` message answers a call with ``tool_call_id``."""

    role: Annotated[str, AfterValidator(_role)] = Field(description=" | ".join(ROLES))
    content: Content = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


# tools


def _tool_name(name: str) -> str:
    """OpenAI's rule for a function's name (Python's ``re``: pydantic's ``pattern`` costs more per tool)."""
    if not TOOL_NAME.match(name):
        raise PydanticCustomError("tool_name", "must be 1 to 64 letters, digits, _ or -, got [{name}]", {"name": name})
    return name


class Function(_Wire):
    name: Annotated[str, AfterValidator(_tool_name)] = Field(description="1 to 64 letters, digits, _ or -")
    description: str | None = None
    parameters: dict[str, Any] | None = Field(default=None, description="a JSON Schema object")
    strict: bool | None = None


class Tool(_Wire):
    type: Literal["function"] = "function"
    function: Function


# in hfgate's types


def chat_messages(messages: list[Message]) -> tuple[chat_types.ChatMessage, ...]:
    """The conversation in hfgate's types.

    Raises:
        RequestValidationError: no message, an assistant turn without content or tool calls, a tool turn
            without ``tool_call_id``; the message names the field.
    """
    if not messages:
        raise RequestValidationError(["Field [messages] must be a non-empty array of messages"], param="messages")
    return tuple(_message(f"messages[{i}]", message) for i, message in enumerate(messages))


def nonempty_conversation(
    messages: tuple[chat_types.ChatMessage, ...], *, field: str, why: str
) -> tuple[chat_types.ChatMessage, ...]:
    """``messages`` as a face read them, refused when none is left: a face folds what is not a turn away (a
    system message into the system prompt, a part of no content), and a chat template cannot render an
    empty conversation (transformers: "Cannot apply chat template to an empty conversation").

    Args:
        messages: the conversation read from the request.
        field: the request's field that holds it, as the client spells it.
        why: what was dropped, and what to send instead.

    Raises:
        EmptyInputError: no message is left; the message names ``field``.

    Example:
        >>> hi = (chat_types.ChatMessage(role="user", content="hi"),)
        >>> nonempty_conversation(hi, field="messages", why="…") == hi
        True
    """
    if not messages:
        raise EmptyInputError([f"Field [{field}] leaves no message once read: {why}"], param=field)
    return messages


def _message(where: str, message: Message) -> chat_types.ChatMessage:
    role, content = message.role, message.content
    if content is not None and len(content) == 1 and role != "tool" and not message.tool_calls:
        part = content[0]
        if isinstance(part, TextPart):
            # the common case, kept plain
            return chat_types.ChatMessage(role=role, content=part.text, name=message.name)
    return _full_message(where, message)


def _full_message(where: str, message: Message) -> chat_types.ChatMessage:
    role, content = message.role, message.content
    calls = message.tool_calls if role == "assistant" else None
    tool_calls = tuple(
        tool_types.ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments) for c in calls or ()
    )
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
    text = "".join(part.text for part in parts if isinstance(part, chat_types.TextPart))
    tool_call_id = _tool_call_id(where, message) if role == "tool" else None
    only_text = all(isinstance(part, chat_types.TextPart) for part in parts)
    return chat_types.ChatMessage(
        role=role,
        content=text,
        parts=() if only_text else parts,
        tool_calls=tool_calls,
        tool_call_id=tool_call_id,
        name=message.name,
    )


def _part(part: TextPart | ImagePart) -> chat_types.ContentPart:
    if isinstance(part, TextPart):
        return chat_types.TextPart(text=part.text)
    return chat_types.ImagePart(url=part.image_url.url, detail=part.image_url.detail)


def _tool_call_id(where: str, message: Message) -> str:
    if not message.tool_call_id:
        raise RequestValidationError(
            [
                f"Field [{where}.tool_call_id] is required: a tool message answers the assistant's tool call "
                "with that id"
            ],
            param=f"{where}.tool_call_id",
        )
    return message.tool_call_id


def tool_fields(body: dict[str, Any], *, tools: list[Tool] | None, choice: Any, parallel: bool | None) -> ToolFields:
    """The request's tools and the choice among them (``NO_TOOLS`` when ``body`` names none of the three
    fields).

    Raises:
        RequestValidationError: two tools of one name, a choice naming no declared tool, or ``required`` /
            a named choice without tools.
    """
    if "tools" not in body and "tool_choice" not in body and "parallel_tool_calls" not in body:
        return NO_TOOLS
    declared = _tools(tools or [])
    return ToolFields(tools=declared, tool_choice=parse_tool_choice(choice, declared), parallel_tool_calls=parallel)


def _tools(declared: list[Tool]) -> tuple[tool_types.Tool, ...]:
    tools: list[tool_types.Tool] = []
    for i, tool in enumerate(declared):
        function = tool.function
        if any(t.name == function.name for t in tools):
            raise RequestValidationError(
                [f"Field [tools[{i}].function.name] repeats [{function.name}]; each tool needs its own name"],
                param=f"tools[{i}].function.name",
            )
        tools.append(
            tool_types.Tool(
                name=function.name,
                description=function.description,
                parameters=function.parameters,
                strict=function.strict,
            )
        )
    return tuple(tools)
