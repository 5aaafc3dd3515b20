"""The Messages API's request and answer bodies as pydantic models: they decode the requests and are the
OpenAPI document of the face.

Source: Anthropic's Messages API reference (``POST /v1/messages``, ``POST /v1/messages/count_tokens``).
A message's ``content`` is a string or an array of blocks: ``text``; ``image`` with a ``source`` of type
``base64`` (``media_type``, ``data``) or ``url``; in assistant turns ``tool_use`` (``id``, ``name``,
``input``) and ``thinking`` / ``redacted_thinking``; in user turns ``tool_result`` (``tool_use_id``,
``content`` a string or text blocks, ``is_error``). ``system`` is a string or an array of text blocks, and
so is a ``system`` message inside ``messages`` (Claude Code sends its environment block there). A tool is
``{"name", "description", "input_schema"}``, or a server tool of another ``type``, read to be refused by
name. Values are not coerced (strict): ``"5"`` is not a number. Fields hfgate has no use for
(``service_tier``, ``context_management``, ``cache_control`` on a block…) are read and dropped, as a newer
client's field is not an error; ``thinking.type`` and ``output_config.effort`` take any string, a value
Anthropic adds later read as "no preference" (``reasoning``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)
from pydantic_core import PydanticCustomError


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


def _blocks(value: Any) -> Any:
    """A string is one text block; anything else but an array is refused here, naming both forms."""
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    if not isinstance(value, list):
        raise PydanticCustomError("content", "must be a string or an array of content blocks")
    return value


NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class TextBlock(_Wire):
    type: Literal["text"]
    text: str


class Base64Source(_Wire):
    type: Literal["base64"]
    media_type: Annotated[str, StringConstraints(pattern=r"^image/")] = Field(description='"image/png", …')
    data: NonEmpty = Field(description="base64")


class UrlSource(_Wire):
    type: Literal["url"]
    url: Annotated[str, StringConstraints(pattern=r"^https?://")] = Field(description="an http(s):// url")


class ImageBlock(_Wire):
    type: Literal["image"]
    source: Annotated[Base64Source | UrlSource, Field(discriminator="type")]


class ToolUseBlock(_Wire):
    type: Literal["tool_use"]
    id: NonEmpty = Field(description="the call's id, which its tool_result names")
    name: NonEmpty
    input: dict[str, Any] = Field(default_factory=dict, description="the tool's arguments")


TextContent = Annotated[list[TextBlock], BeforeValidator(_blocks, json_schema_input_type=str | list[TextBlock])]
"""A string or text blocks, read as the blocks (``str`` is one text block)."""


class ToolResultBlock(_Wire):
    type: Literal["tool_result"]
    tool_use_id: NonEmpty = Field(description="the id of the tool_use block it answers")
    content: TextContent = Field(default_factory=list, description="text; send images in a user turn")
    is_error: bool | None = None


class ThinkingBlock(_Wire):
    """Sent back by a client; dropped: no chat template reads a model's earlier reasoning back."""

    type: Literal["thinking"]
    thinking: str | None = None
    signature: str | None = None


class RedactedThinkingBlock(_Wire):
    type: Literal["redacted_thinking"]
    data: str | None = None


UserBlock = Annotated[TextBlock | ImageBlock | ToolResultBlock, Field(discriminator="type")]
AssistantBlock = Annotated[
    TextBlock | ToolUseBlock | ThinkingBlock | RedactedThinkingBlock, Field(discriminator="type")
]
UserContent = Annotated[list[UserBlock], BeforeValidator(_blocks, json_schema_input_type=str | list[UserBlock])]
AssistantContent = Annotated[
    list[AssistantBlock], BeforeValidator(_blocks, json_schema_input_type=str | list[AssistantBlock])
]


class UserMessage(_Wire):
    role: Literal["user"]
    content: UserContent


class AssistantMessage(_Wire):
    role: Literal["assistant"]
    content: AssistantContent


class SystemMessage(_Wire):
    """Not a turn: its text joins the system prompt."""

    role: Literal["system"]
    content: TextContent


Message = Annotated[UserMessage | AssistantMessage | SystemMessage, Field(discriminator="role")]


_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _tool_name(name: str) -> str:
    """Anthropic's rule for a tool's name (checked by Python's ``re``, cheaper than pydantic's ``pattern``:
    Claude Code sends a dozen tools on every request)."""
    if not _TOOL_NAME.fullmatch(name):
        raise PydanticCustomError("tool_name", "must be 1-64 letters, digits, _ or -, got [{name}]", {"name": name})
    return name


class ClientTool(_Wire):
    type: Literal["custom"] = "custom"
    name: Annotated[str, AfterValidator(_tool_name)] = Field(description="1-64 letters, digits, _ or -")
    description: str | None = None
    input_schema: dict[str, Any] = Field(description='a JSON Schema object such as {"type": "object"}')


class ServerTool(_Wire):
    """A tool Anthropic runs itself (``web_search_…``, ``code_execution_…``): refused, naming its type."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    type: str
    name: str | None = None


def _tool_kind(value: Any) -> str:
    kind = value.get("type", "custom") if isinstance(value, dict) else "custom"
    return "custom" if kind in ("custom", None) else "server"


ToolDefinition = Annotated[
    Annotated[ClientTool, Tag("custom")] | Annotated[ServerTool, Tag("server")], Discriminator(_tool_kind)
]


class ToolChoiceMode(_Wire):
    type: Literal["auto", "any", "none"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNamed(_Wire):
    type: Literal["tool"]
    name: str
    disable_parallel_tool_use: bool | None = None


ToolChoice = Annotated[ToolChoiceMode | ToolChoiceNamed, Field(discriminator="type")]


class Thinking(_Wire):
    type: str | None = Field(default=None, description='"enabled", "adaptive" or "disabled"')
    budget_tokens: int | None = Field(default=None, ge=1)


class OutputConfig(_Wire):
    effort: str | None = Field(default=None, description='"low", "medium", "high", "xhigh" or "max"')


class CountTokensRequest(_Wire):
    """What is counted: the conversation, the system prompt and the tools."""

    model: NonEmpty = Field(description="A chat endpoint's id (GET /v1/models)")
    messages: list[Message] = Field(min_length=1)
    system: TextContent | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: ToolChoice | None = None
    thinking: Thinking | None = None
    output_config: OutputConfig | None = None
    mcp_servers: list[dict[str, Any]] | None = Field(default=None, description="refused: hfgate runs no MCP servers")
    container: str | dict[str, Any] | None = Field(default=None, description="refused: hfgate runs no container")


class MessagesRequest(CountTokensRequest):
    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        strict=True,
        json_schema_extra={
            "example": {
                "model": ".smollm2-135m-instruct",
                "max_tokens": 16,
                "messages": [{"role": "user", "content": "Hi"}],
            }
        },
    )
    max_tokens: int = Field(ge=1, description="The most tokens to generate")
    stop_sequences: list[NonEmpty] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stream: bool | None = None
    metadata: dict[str, Any] | None = Field(default=None, description="user_id names the agent session in the log")


# answers (built by ``shapes`` and ``stream``; here for the document)


class MessageObject(_Wire):
    """A message; streams send its events as SSE (``message_start`` … ``message_stop``)."""

    id: str
    type: Literal["message"]
    role: Literal["assistant"]
    model: str
    content: list[dict[str, Any]]
    stop_reason: str | None
    stop_sequence: str | None
    usage: dict[str, int]


class TokenCount(_Wire):
    input_tokens: int


class AnthropicErrorDetail(_Wire):
    type: str
    message: str


class AnthropicError(_Wire):
    type: Literal["error"]
    error: AnthropicErrorDetail
