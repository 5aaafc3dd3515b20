"""The Messages API's bodies (``/v1/messages``), for the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class MessagesRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",  # fields hfgate has no use for are read and ignored (api/anthropic/requests.py)
        json_schema_extra={
            "example": {
                "model": ".smollm2-135m-instruct",
                "max_tokens": 16,
                "messages": [{"role": "user", "content": "Hi"}],
            }
        },
    )
    model: str = Field(description="A chat endpoint's id (GET /v1/models)")
    max_tokens: int = Field(ge=1, description="The most tokens to generate")
    messages: list[dict[str, Any]] = Field(
        description="Turns {role: user|assistant, content: string or blocks (text, image, tool_use, tool_result)}"
    )
    system: str | list[dict[str, Any]] | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stream: bool | None = None
    tools: list[dict[str, Any]] | None = Field(
        default=None, description="Client tools: {name, description, input_schema}"
    )
    tool_choice: dict[str, Any] | None = Field(default=None, description="{type: auto|any|tool|none, name?}")
    metadata: dict[str, Any] | None = None
    thinking: dict[str, Any] | None = None


class CountTokensRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[dict[str, Any]]
    system: str | list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None


class MessageObject(BaseModel):
    """A message; streams send its events as SSE (``message_start`` … ``message_stop``)."""

    id: str
    type: Literal["message"]
    role: Literal["assistant"]
    model: str
    content: list[dict[str, Any]]
    stop_reason: str | None
    stop_sequence: str | None
    usage: dict[str, int]


class TokenCount(BaseModel):
    input_tokens: int


class AnthropicErrorDetail(BaseModel):
    type: str
    message: str


class AnthropicError(BaseModel):
    type: Literal["error"]
    error: AnthropicErrorDetail
