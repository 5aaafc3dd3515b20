"""The OpenAI face's bodies (``/v1``, and ``/hf/{id}/v1``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_EXTRA = ConfigDict(extra="allow")
"""A field the schema does not name is accepted: passed through to an OpenAI-compatible upstream, read or
ignored by the local models (docs/api/openai.md)."""


class EmbeddingsRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow", json_schema_extra={"example": {"model": ".all-minilm-l6-v2", "input": "hi"}}
    )
    input: str | list[str] | None = None
    messages: list[dict[str, Any]] | None = Field(
        default=None,
        description="vLLM's form, instead of input: one content part in all, text or an image_url with a base64 "
        "data URI, for an image-and-text model; answered with one vector",
    )
    model: str | None = Field(default=None, description="An endpoint id (required on /v1/embeddings)")
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = None
    user: str | None = None


class _Generation(BaseModel):
    model_config = _EXTRA
    model: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    repetition_penalty: float | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool | None = None
    stream_options: dict[str, bool] | None = None
    n: int | None = None
    user: str | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logprobs: bool | int | None = None
    top_logprobs: int | None = None
    logit_bias: dict[str, float] | None = None


class CompletionRequest(_Generation):
    prompt: str | list[str]
    echo: bool | None = None
    suffix: str | None = None
    best_of: int | None = None


class ChatMessage(BaseModel):
    """``content``: text, or parts (``text``, ``image_url``); null on an assistant turn with ``tool_calls``."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None


class ChatRequest(_Generation):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "model": ".smollm2-135m-instruct",
                "max_tokens": 4,
                "messages": [{"role": "user", "content": "Hi"}],
            }
        },
    )
    messages: list[ChatMessage]
    max_completion_tokens: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    tool_prompt: str | None = Field(default=None, description="TGI's text before the tools in the prompt.")
    reasoning_effort: str | None = Field(default=None, description="Passed to a reasoning model's upstream.")


class Usage(BaseModel):
    prompt_tokens: int
    total_tokens: int
    completion_tokens: int | None = None


class Embedding(BaseModel):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str


class EmbeddingsResponse(BaseModel):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: Usage


class CompletionResponse(BaseModel):
    """A completion or a chat completion (``object`` tells which); streams send chunks as SSE."""

    id: str
    object: str
    created: int
    model: str
    choices: list[dict[str, Any]]
    usage: Usage | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(BaseModel):
    error: OpenAIErrorDetail


class RerankRequest(BaseModel):
    """Cohere's and Jina's rerank body (``/v1/rerank``, ``/rerank``, ``/v2/rerank``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {"model": ".ms-marco-minilm-l6-v2", "query": "capital of France", "documents": ["Paris", "Rome"]}
        },
    )
    model: str = Field(description="A rerank endpoint's id")
    query: str
    documents: list[str | dict[str, str]] = Field(description='Strings or {"text": …} objects')
    top_n: int | None = None
    return_documents: bool | None = Field(default=None, description="Default true")


class RerankResult(BaseModel):
    index: int
    relevance_score: float
    document: dict[str, str] | None = None


class RerankResponse(BaseModel):
    id: str
    model: str
    results: list[RerankResult]
    meta: dict[str, Any]
    usage: dict[str, int]
