"""The Elasticsearch face's bodies (``_inference``) and its error envelope, as pydantic models: the OpenAPI
document of the routes declared in :mod:`hfgate.api.es.manage` and :mod:`hfgate.api.es.run`. The bodies are
read by hand (:mod:`hfgate.api.es.requests`, the orchestrator's endpoint body), in Elasticsearch's words."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

TextOrTexts = str | list[str]


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


class InferenceRequest(BaseModel):
    """``POST _inference/{task_type}/{inference_id}``."""

    model_config = ConfigDict(json_schema_extra={"example": {"input": ["a document"]}})
    input: TextOrTexts | None = None
    query: str | None = None
    task_settings: dict[str, Any] | None = None
    input_type: str | None = None
    return_documents: bool | None = None
    top_n: int | None = None
    messages: list[dict[str, Any]] | None = None
    model: str | None = None


class InferenceResult(BaseModel):
    """One key, named after the task type."""

    text_embedding: list[dict[str, Any]] | None = None
    sparse_embedding: list[dict[str, Any]] | None = None
    completion: list[dict[str, Any]] | None = None
    rerank: list[dict[str, Any]] | None = None
    chat_completion: dict[str, Any] | None = None


class ChunkRequest(BaseModel):
    """``POST _inference/_chunk`` (hfgate's extension)."""

    model_config = ConfigDict(extra="forbid")
    input: TextOrTexts
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
