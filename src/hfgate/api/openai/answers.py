"""The OpenAI face's answer and error bodies as pydantic models, for the OpenAPI document: the answers are
built by :mod:`~hfgate.api.openai.shapes` and the rerank route, errors by :mod:`~hfgate.api.openai.errors`.
The request bodies are in :mod:`~hfgate.api.openai.schema`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


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


class Transcription(BaseModel):
    """``/v1/audio/transcriptions`` and ``/translations``: ``json`` (``text``, ``usage``), ``verbose_json``
    (with ``task``, ``language``, ``duration``, ``segments``, ``words``); ``text``, ``srt`` and ``vtt``
    answer plain text."""

    text: str
    usage: dict[str, Any] | None = None
    task: str | None = None
    language: str | None = None
    duration: float | None = None
    segments: list[dict[str, Any]] | None = None
    words: list[dict[str, Any]] | None = None
