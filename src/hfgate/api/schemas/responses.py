"""The Responses API's bodies (``/v1/responses``), for the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ResponsesRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"example": {"model": ".smollm2-135m-instruct", "input": "Hi", "max_output_tokens": 8}},
    )
    model: str = Field(description="An endpoint id (GET /v1/models)")
    input: str | list[dict[str, Any]] = Field(
        description="A user message, or items: message, function_call, function_call_output"
    )
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = Field(
        default=None, description='Function tools: {"type": "function", …}; built-in tools are left out'
    )
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stream: bool | None = None
    stream_options: dict[str, Any] | None = None
    store: bool | None = Field(default=None, description="Keep the response for previous_response_id (default true)")
    previous_response_id: str | None = None
    metadata: dict[str, str] | None = None
    text: dict[str, Any] | None = None
    user: str | None = None
    truncation: Literal["auto", "disabled"] | None = None
    reasoning: dict[str, Any] | None = None
    include: list[str] | None = None
    service_tier: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    top_logprobs: int | None = None
    background: bool | None = None
    max_tool_calls: int | None = None
    prompt_cache_retention: str | None = None
    prompt_cache_options: dict[str, Any] | None = None
    conversation: str | dict[str, Any] | None = None
    prompt: dict[str, Any] | None = None
    context_management: list[dict[str, Any]] | None = None
    reasoning_effort: str | None = None


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


class CompactRequest(BaseModel):
    """``POST /v1/responses/compact`` (Open Responses, ``CompactResponseMethodPublicBody``)."""

    model: str = Field(description="An endpoint id (GET /v1/models)")
    input: str | list[dict[str, Any]] | None = Field(default=None, description="The conversation's items")
    previous_response_id: str | None = Field(default=None, description="A stored conversation to compact")
    instructions: str | None = None
    prompt_cache_key: str | None = None


class CompactObject(BaseModel):
    """The compacted conversation: the user's messages, then a ``compaction`` item to send back in place of
    the turns it replaced."""

    id: str
    object: Literal["response.compaction"]
    created_at: int
    output: list[dict[str, Any]]
    usage: dict[str, Any]
