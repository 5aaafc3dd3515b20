"""TEI's and TGI's request and answer bodies as pydantic models: they decode the requests of the routes
under ``/hf/{inference_id}`` and are the OpenAPI document of the face.

Source: TEI's and TGI's OpenAPI documents (``EmbedRequest``, ``RerankRequest``, ``TokenizeRequest``,
``GenerateRequest``, ``GenerateParameters``), checked against ``huggingface_hub``'s ``InferenceClient``,
which sends these names. Values are not coerced (strict): ``"5"`` is not a number. Fields hfgate has no use
for are read and dropped at the top level; an unknown generation parameter is refused with TGI's own
message where the request is read (``requests``), since clients parse it to retry without it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from hfgate.api.body import Texts, json_type


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class TeiRequest(_Wire):
    """``/embed``, ``/embed_sparse`` (and the hosted route of an embedding endpoint)."""

    model_config = ConfigDict(json_schema_extra={"example": {"inputs": ["a document"]}})
    inputs: Texts = Field(description="the text to embed, or an array of texts: one vector each")
    normalize: bool | None = Field(default=None, description="scale each vector to length 1 (default true)")
    truncate: bool | None = None
    truncation_direction: str | None = None
    prompt_name: str | None = None


class TeiRerankRequest(_Wire):
    """``/rerank`` (and the hosted route of a rerank endpoint)."""

    query: str = Field(min_length=1, description="the query the texts are scored against")
    texts: list[str] = Field(min_length=1, description="the texts to score, a non-empty array of strings")
    return_text: bool | None = Field(default=None, description="give each hit's text back (default false)")
    truncate: bool | None = None
    raw_scores: bool | None = None


class TokenizeRequest(_Wire):
    inputs: Texts = Field(description="the text to tokenize, or an array of texts")
    add_special_tokens: bool | None = Field(default=None, description="add the model's special tokens (default true)")


class Sampling(_Wire):
    """TGI's generation parameters; others are kept (``model_extra``) to be refused by name."""

    model_config = ConfigDict(extra="allow")
    max_new_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    frequency_penalty: float | None = Field(default=None, description="0 only: use repetition_penalty")
    seed: int | None = None
    stop: list[str] | None = Field(default=None, description="stop strings, kept at the end of the text (up to 4)")
    do_sample: bool | None = None
    details: bool | None = Field(default=None, description="answer each token, its id and log-probability")
    decoder_input_details: bool | None = None
    top_n_tokens: int | None = None
    return_full_text: bool | None = Field(default=None, description="the prompt before the generated text")
    grammar: Any = Field(default=None, description='{"type": "json" or "regex", "value": …}')
    best_of: int | None = Field(default=None, description="1 only: one sequence per request")
    # accepted and meaningless here (the defaults TGI clients send)
    truncate: int | None = None
    watermark: bool | None = None
    typical_p: float | None = None
    adapter_id: str | None = None
    truncation: Any = None
    clean_up_tokenization_spaces: bool | None = None


class TgiParameters(Sampling):
    generate_parameters: Sampling | None = Field(
        default=None, description="more parameters, taken over those beside it (an object or null)"
    )

    @field_validator("generate_parameters", mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if value is None or isinstance(value, dict):
            return value
        example = '{"max_new_tokens": 20}'
        raise PydanticCustomError(
            "object",
            "must be an object of generation parameters such as {example}, got [{kind}]",
            {"example": example, "kind": json_type(value)},
        )


class TgiRequest(_Wire):
    """``/generate``, ``/generate_stream`` (and the hosted route of a generation endpoint)."""

    model_config = ConfigDict(json_schema_extra={"example": {"inputs": "Hello", "parameters": {"max_new_tokens": 4}}})
    inputs: str = Field(description="the prompt to continue")
    parameters: TgiParameters | None = Field(default=None, description="how to generate: max_new_tokens, stop, …")
    stream: bool | None = Field(default=None, description="answer server-sent events (the hosted route only)")


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


HostedRequest = TeiRequest | TgiRequest | TeiRerankRequest
"""What ``POST /hf/{id}`` takes: the body of the route the endpoint's task serves."""
HostedAnswer = list[list[float]] | list[Generated] | list[RerankHit] | list[dict[str, float]]
