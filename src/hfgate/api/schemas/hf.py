"""The Hugging Face face's bodies (TEI's and TGI's routes under ``/hf/{inference_id}``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class TeiRequest(BaseModel):
    """``/embed`` (and the hosted route of an embedding endpoint)."""

    model_config = ConfigDict(json_schema_extra={"example": {"inputs": ["a document"]}})
    inputs: str | list[str]
    normalize: bool | None = None
    truncate: bool | None = None
    truncation_direction: str | None = None
    prompt_name: str | None = None


class RerankRequest(BaseModel):
    query: str
    texts: list[str]
    return_text: bool | None = None
    truncate: bool | None = None
    raw_scores: bool | None = None


class TokenizeRequest(BaseModel):
    inputs: str | list[str]
    add_special_tokens: bool | None = None


class TgiParameters(BaseModel):
    max_new_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    seed: int | None = None
    stop: list[str] | None = None
    do_sample: bool | None = None
    details: bool | None = None
    return_full_text: bool | None = None
    generate_parameters: dict[str, Any] | None = None


class TgiRequest(BaseModel):
    """``/generate``, ``/generate_stream`` (and the hosted route of a generation endpoint)."""

    model_config = ConfigDict(json_schema_extra={"example": {"inputs": "Hello", "parameters": {"max_new_tokens": 4}}})
    inputs: str
    parameters: TgiParameters | None = None
    stream: bool | None = None


class SparseValue(BaseModel):
    index: int
    value: float


class RerankHit(BaseModel):
    index: int
    score: float
    text: str | None = None


class Token(BaseModel):
    id: int
    text: str
    special: bool
    start: int | None = None
    stop: int | None = None


class Generated(BaseModel):
    generated_text: str
    details: dict[str, Any] | None = None


class HfError(BaseModel):
    """TEI's and TGI's error body."""

    error: str
    error_type: str
