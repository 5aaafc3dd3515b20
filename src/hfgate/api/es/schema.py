"""The Elasticsearch face's bodies (``_inference``) and its error envelope, as pydantic models: the OpenAPI
document of the routes declared in :mod:`hfgate.api.es.manage` and :mod:`hfgate.api.es.run`.

The inference bodies (one model per task type: which fields a body may have follows the endpoint's task
type) decode the requests too (:func:`hfgate.api.es.requests.es_body`): strict, a field of another JSON
type refused naming it, and a field the task type does not take refused as Elasticsearch refuses it (a
parse error naming the field). What needs the endpoint (``query`` only for rerank, the ``input_type``
values) is checked in :mod:`hfgate.api.es.requests`. The create and update bodies are read by the
orchestrator's endpoint body, in Elasticsearch's words; their models here document them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hfgate.api.body import Texts
from hfgate.api.chat_schema import Message, Tool


class EndpointConfig(BaseModel):
    """``PUT _inference/{task_type}/{inference_id}``: a new endpoint."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}}
    )
    service: str = Field(description="local, hugging_face, … (GET _inference/_services)")
    service_settings: dict[str, Any]
    task_settings: dict[str, Any] | None = None
    chunking_settings: dict[str, Any] | None = None
    task_type: str | None = None


class EndpointUpdate(BaseModel):
    """``PUT _inference/{inference_id}/_update``: new secrets, task settings or updatable settings."""

    service_settings: dict[str, Any] | None = None
    task_settings: dict[str, Any] | None = None
    chunking_settings: dict[str, Any] | None = None


class EndpointInfo(BaseModel):
    inference_id: str
    task_type: str
    service: str
    service_settings: dict[str, Any]
    task_settings: dict[str, Any] | None = None
    chunking_settings: dict[str, Any] | None = None


class EndpointList(BaseModel):
    endpoints: list[EndpointInfo]


class Acknowledged(BaseModel):
    acknowledged: bool
    pipelines: list[str] | None = None


class _EsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class EsEmbedBody(_EsBody):
    """``POST _inference/{text_embedding, sparse_embedding or rerank}/{inference_id}``: texts to embed, or a
    rerank's query and documents."""

    model_config = ConfigDict(json_schema_extra={"example": {"input": ["a document"]}})
    input: Texts | None = Field(
        default=None, description="a text or an array of texts: one vector each (rerank: the documents)"
    )
    query: str | None = Field(
        default=None, description="rerank only (and required there): what the documents are scored against"
    )
    input_type: str | None = Field(default=None, description="ingest, search, classification or clustering")
    task_settings: dict[str, Any] | None = Field(
        default=None, description="this call's task settings over the endpoint's"
    )
    return_documents: bool | None = Field(default=None, description="rerank: give each hit's text back")
    top_n: int | None = Field(default=None, description="rerank: how many hits to answer, best first")
    chunked: bool | None = Field(
        default=None, description="text_embedding: one answer per chunk of each input (hfgate's)"
    )


class EsEmbeddingBody(_EsBody):
    """``POST _inference/embedding/{inference_id}`` (Elasticsearch 9.4; content arrays 9.5): texts and images."""

    input: Any = Field(
        default=None,
        description='a string, an array of strings, a content object {"content": {"type": "text" or "image", '
        '"format"?, "value"}} or an array of them; from 9.5 "content" may be an array of one item',
    )
    input_type: str | None = None
    task_settings: dict[str, Any] | None = None


class EsCompletionBody(_EsBody):
    """``POST _inference/completion/{inference_id}`` (and its ``_stream``): one answer per prompt."""

    input: Texts | None = Field(default=None, description="a prompt or an array of prompts (one when streamed)")
    input_type: str | None = None
    task_settings: dict[str, Any] | None = None


class EsChatBody(_EsBody):
    """``POST _inference/chat_completion/{inference_id}/_stream``: Elasticsearch's unified chat completion."""

    messages: list[Message] = Field(description="the conversation: a non-empty array of messages")
    model: str | None = None
    max_completion_tokens: int | None = None
    stop: Texts | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    tools: list[Tool] | None = None
    tool_choice: Any = Field(default=None, description='"auto", "none", "required" or {"type": "function", …}')


InferenceRequest = EsEmbedBody | EsEmbeddingBody | EsCompletionBody | EsChatBody
"""Any inference body: which one applies follows the endpoint's task type."""
StreamRequest = EsCompletionBody | EsChatBody
"""A ``_stream`` body: a completion's or a chat completion's."""


class InferenceResult(BaseModel):
    """One key, named after the task type."""

    text_embedding: list[dict[str, Any]] | None = None
    sparse_embedding: list[dict[str, Any]] | None = None
    completion: list[dict[str, Any]] | None = None
    rerank: list[dict[str, Any]] | None = None
    chat_completion: dict[str, Any] | None = None


class ChunkRequest(_EsBody):
    """``POST _inference/_chunk`` (hfgate's extension)."""

    input: Texts | None = Field(default=None, description="a text or an array of texts to cut")
    chunking_settings: dict[str, Any] | None = None


class Chunk(BaseModel):
    start_offset: int
    end_offset: int
    text: str


class ChunkResult(BaseModel):
    chunks: list[list[Chunk]]


class ServiceInfo(BaseModel):
    service: str
    name: str | None = None
    task_types: list[str]
    configurations: dict[str, Any]


class ErrorCause(BaseModel):
    type: str
    reason: str


class ErrorDetail(ErrorCause):
    root_cause: list[ErrorCause]


class EsError(BaseModel):
    """Elasticsearch's error envelope."""

    error: ErrorDetail
    status: int
