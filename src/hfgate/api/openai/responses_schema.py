"""The Responses API's bodies as pydantic models: they decode ``POST /v1/responses`` and
``POST /v1/responses/compact`` and are the OpenAPI document of those routes and of the stored responses'.

Source: OpenAI's Responses API reference; the Open Responses specification (openresponses/openresponses,
``schema/responses.tsp``: ``CreateResponseBody``, ``CompactResponseMethodPublicBody``, ``CompactResource``).
Values are not coerced (strict). The models check each field's JSON type; what is more than a type stays
real logic beside them: the input items (``responses_items``), the function tools and ``tool_choice``
(``responses_input``), ``context_management`` (``responses_threshold``). Fields the request model does not
name are passed through to the chat the request becomes (Codex's ``client_metadata``, an engine's ``min_p``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


NonEmpty = Annotated[str, StringConstraints(min_length=1)]
_MODEL = "the id of an hfgate endpoint (GET /v1/models)"
_ITEMS = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]}
Items = Annotated[Any, WithJsonSchema(_ITEMS)]
"""``input``: a user message, or items; read by ``responses_items.normalize_items``, which names each
malformed item's field."""
_TOOL_CHOICE = {"anyOf": [{"enum": ["auto", "none", "required"]}, {"type": "object"}]}
_ANY_JSON = WithJsonSchema({})


class Reasoning(_Wire):
    effort: str | None = Field(default=None, description='"low", "medium", "high"…: passed to the upstream')
    summary: Annotated[Any, _ANY_JSON] = None


class ResponsesRequest(_Wire):
    """``POST /v1/responses`` (over the WebSocket too, less the event's envelope)."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"model": ".smollm2-135m-instruct", "input": "Hi", "max_output_tokens": 8}}
    )
    model: NonEmpty = Field(description=_MODEL)
    input: Items = Field(description="A user message, or items: message, function_call, function_call_output")
    instructions: str | None = None
    tools: list[Any] | None = Field(
        default=None, description='Function tools: {"type": "function", …}; built-in tools are left out'
    )
    tool_choice: Annotated[Any, WithJsonSchema(_TOOL_CHOICE)] = Field(
        default=None, description='"auto", "none", "required" or {"type": "function", "name": …}'
    )
    parallel_tool_calls: bool | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stream: bool | None = None
    stream_options: dict[str, Any] | None = None
    store: bool | None = Field(default=None, description="Keep the response for previous_response_id (default true)")
    previous_response_id: str | None = None
    metadata: dict[str, str] | None = None
    text: dict[str, Any] | None = Field(default=None, description='{"format": {"type": "text" | "json_schema", …}}')
    user: Annotated[Any, _ANY_JSON] = None
    truncation: Literal["auto", "disabled"] | None = None
    reasoning: Reasoning | None = None
    include: list[str] | None = None
    service_tier: str | None = None
    prompt_cache_key: str | None = Field(default=None, description="names the session (routing affinity, logs)")
    safety_identifier: str | None = None
    top_logprobs: int | None = Field(default=None, description="0 only: hfgate's answer carries no log probabilities")
    background: bool | None = Field(default=None, description="refused: send the request and wait")
    max_tool_calls: int | None = Field(default=None, description="refused")
    prompt_cache_retention: str | None = None
    prompt_cache_options: dict[str, Any] | None = None
    conversation: Annotated[Any, _ANY_JSON] = Field(default=None, description="refused: use previous_response_id")
    prompt: Annotated[Any, _ANY_JSON] = Field(default=None, description="refused: use instructions and input")
    context_management: Annotated[Any, WithJsonSchema({"type": "array", "items": {"type": "object"}})] = Field(
        default=None, description='[{"type": "compaction", "compact_threshold": tokens}]'
    )
    reasoning_effort: str | None = None


class CompactRequest(_Wire):
    """``POST /v1/responses/compact``: ``input`` or ``previous_response_id`` (or both) is the conversation."""

    model: NonEmpty = Field(description=_MODEL)
    input: Items = Field(default=None, description="The conversation's items")
    previous_response_id: str | None = Field(default=None, description="A stored conversation to compact")
    instructions: str | None = None
    prompt_cache_key: str | None = None


# answers, for the document


class ResponseObject(BaseModel):
    """A response; streams send its events as SSE (``response.created`` … ``response.completed``)."""

    id: str
    object: Literal["response"]
    created_at: int
    status: str
    model: str
    output: list[dict[str, Any]]
    usage: dict[str, Any] | None = None


class ResponseList(BaseModel):
    object: Literal["list"]
    data: list[dict[str, Any]]
    has_more: bool


class ResponseDeleted(BaseModel):
    id: str
    object: Literal["response.deleted"]
    deleted: bool


class CompactObject(BaseModel):
    """The compacted conversation: the user's messages, then a ``compaction`` item to send back in place of
    the turns it replaced."""

    id: str
    object: Literal["response.compaction"]
    created_at: int
    output: list[dict[str, Any]]
    usage: dict[str, Any]
