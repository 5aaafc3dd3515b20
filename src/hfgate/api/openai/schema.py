"""The OpenAI face's request and answer bodies as pydantic models: they decode the requests of the ``/v1``
routes (and of ``/hf/{id}/v1``) and are the OpenAPI document of the face.

Source: OpenAI's API reference (Chat Completions, Completions, Embeddings, Models), TGI's ``tool_prompt``,
vLLM's ``messages`` on ``/v1/embeddings``, Cohere's and Jina's rerank body. Values are not coerced (strict):
``"5"`` is not a number. Fields the models do not name are accepted: on a completion or chat they are passed
through to an OpenAI-compatible upstream as sent (``requests.generation_params`` reads them from the body),
elsewhere dropped (``user``, an engine's extensions), as real clients (LangChain, LlamaIndex, Dify) send
fields of their own. Fields that are passed through but that the local models read (``min_p``, the
penalties, ``logit_bias``) are named here so that their type is checked.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from hfgate.api.body import TEXTS_SCHEMA, Texts, json_type, read_texts
from hfgate.api.chat_schema import Message, NonEmpty, Tool


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


_MODEL = "the id of an hfgate endpoint (GET /v1/models)"


def _embedding_texts(value: Any) -> list[str]:
    return read_texts(value, what="; token arrays are not supported, send text")


EmbeddingTexts = Annotated[list[str], PlainValidator(_embedding_texts), TEXTS_SCHEMA]


_TOOL_CHOICE = {"anyOf": [{"enum": ["auto", "none", "required"]}, {"type": "string"}, {"type": "object"}]}


# requests


class StreamOptions(_Wire):
    include_usage: bool | None = None


class _Sampling(_Wire):
    """What a completion and a chat share."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, Any] | None = None
    stop: Texts | None = Field(default=None, description="a stop string, or an array of them")
    seed: int | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, description="1 only: hfgate returns one choice")
    best_of: int | None = Field(default=None, description="1 only")
    logprobs: Annotated[Any, WithJsonSchema({"type": ["boolean", "integer", "null"]})] = Field(
        default=None, description="refused: hfgate's answer carries no log probabilities"
    )
    top_logprobs: int | None = None
    response_format: dict[str, Any] | None = Field(
        default=None, description='{"type": "text" | "json_object" | "json_schema", "json_schema": {...}}'
    )
    reasoning_effort: str | None = Field(default=None, description="passed to a reasoning model's upstream")
    echo: bool | None = Field(default=None, description="refused: hfgate's answer does not echo the prompt")
    suffix: str | None = Field(default=None, description="refused")
    user: str | None = None


class CompletionBody(_Sampling):
    """``/hf/{id}/v1/completions``: the endpoint is in the path."""

    model: str | None = None
    prompt: Texts = Field(description="the text to continue, or an array of texts: one choice each")


class CompletionRequest(CompletionBody):
    """``/v1/completions``."""

    model_config = ConfigDict(json_schema_extra={"example": {"model": ".smollm2-135m", "prompt": "Once upon"}})
    model: NonEmpty = Field(description=_MODEL)


class ChatBody(_Sampling):
    """``/hf/{id}/v1/chat/completions``: the endpoint is in the path."""

    model: str | None = None
    messages: list[Message] = Field(description="the conversation: a non-empty array of messages")
    max_completion_tokens: int | None = None
    tools: list[Tool] | None = None
    tool_choice: Annotated[Any, WithJsonSchema(_TOOL_CHOICE)] = Field(
        default=None, description='"auto", "none", "required", a tool\'s name, or {"type": "function", ...}'
    )
    parallel_tool_calls: bool | None = None
    tool_prompt: str | None = Field(default=None, description="TGI's text before the tools in the prompt")
    prompt_cache_key: str | None = Field(default=None, description="names the session (routing affinity, logs)")


class ChatRequest(ChatBody):
    """``/v1/chat/completions``."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "model": ".smollm2-135m-instruct",
                "max_tokens": 4,
                "messages": [{"role": "user", "content": "Hi"}],
            }
        }
    )
    model: NonEmpty = Field(description=_MODEL)


class EmbeddingsBody(_Wire):
    """``/hf/{id}/v1/embeddings``: the endpoint is in the path."""

    model: str | None = None
    input: EmbeddingTexts | None = Field(default=None, description="a text or an array of texts: one vector each")
    messages: list[Any] | None = Field(
        default=None,
        description="vLLM's form, instead of input: one content part in all, text or an image_url with a base64 "
        "data URI, for an image-and-text model; answered with one vector",
    )
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = Field(default=None, description="shorter vectors, for a model trained for it")
    user: str | None = None


class EmbeddingsRequest(EmbeddingsBody):
    """``/v1/embeddings``."""

    model_config = ConfigDict(json_schema_extra={"example": {"model": ".all-minilm-l6-v2", "input": "hi"}})
    model: NonEmpty = Field(description=_MODEL)


def _document(value: Any) -> Any:
    text = value.get("text") if isinstance(value, dict) else value
    if not isinstance(text, str):
        raise PydanticCustomError(
            "document", "must be a string or an object with a [text] string, got [{kind}]", {"kind": json_type(value)}
        )
    return text


Document = Annotated[
    str,
    BeforeValidator(_document),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "object", "properties": {"text": {"type": "string"}}}]}),
]


class RerankRequest(_Wire):
    """Cohere's and Jina's rerank body (``/v1/rerank``, ``/rerank``, ``/v2/rerank``); fields other than these
    (``rank_fields``, ``max_tokens_per_doc``…) are not used."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"model": ".ms-marco-minilm-l6-v2", "query": "capital of France", "documents": ["Paris", "Rome"]}
        }
    )
    model: NonEmpty = Field(description="a rerank endpoint's id (GET /v1/models)")
    query: NonEmpty = Field(description="the query the documents are ranked against")
    documents: list[Document] = Field(description='the documents: strings or {"text": …} objects')
    top_n: int | None = Field(default=None, ge=1, description="the best n only")
    return_documents: bool | None = Field(default=None, description="give each hit's text back (default true)")


class TranslationForm(BaseModel):
    """``/v1/audio/translations``' multipart form (OpenAI's): English text from speech in any language. Form
    fields are strings, so numbers are read from them (not strict)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    file: Annotated[bytes, WithJsonSchema({"type": "string", "format": "binary"})] = Field(
        description="the audio file (wav, flac, mp3, ogg, webm, m4a)"
    )
    model: NonEmpty = Field(description="a speech recognition endpoint's id (GET /v1/models)")
    response_format: Literal["json", "text", "srt", "vtt", "verbose_json"] = Field(
        default="json", description="json (default), text, srt, vtt or verbose_json"
    )
    prompt: str | None = Field(default=None, description="text the model continues from (Whisper)")
    temperature: float | None = Field(default=None, ge=0, le=1, description="0: greedy (Whisper)")
    stream: bool | None = Field(
        default=None, description="true: OpenAI's transcript.text.delta and .done events (json or text format)"
    )


class TranscriptionForm(TranslationForm):
    """``/v1/audio/transcriptions``' multipart form (OpenAI's)."""

    language: str | None = Field(default=None, description="the speech's language, ISO-639-1 (Whisper)")
    timestamp_granularities: list[Literal["segment", "word"]] = Field(
        default=["segment"],
        alias="timestamp_granularities[]",
        description="verbose_json's timestamps: segment (default), word, or both",
    )
