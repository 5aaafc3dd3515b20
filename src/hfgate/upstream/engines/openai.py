"""Any OpenAI-compatible server (``engine: openai``), and the OpenAI protocols other engines reuse.

Routes: ``/v1/completions``, ``/v1/chat/completions``, ``/v1/embeddings`` and the Cohere / Jina
``/v1/rerank``. The served model's name (from ``/v1/models``) is sent as ``model``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from hfgate.chat.messages import ChatMessage
from hfgate.errors import BadRequestError
from hfgate.pipelines import Pipeline, PipelineRequest
from hfgate.pipelines.automatic_speech_recognition import Transcription
from hfgate.tasks import GenerationDelta, GenerationParams
from hfgate.upstream.engines.base import (
    Address,
    ChatProtocol,
    EmbedProtocol,
    GenerateProtocol,
    Kind,
    PipelineProtocol,
    Protocol,
    RerankProtocol,
    Scores,
    Vectors,
)
from hfgate.upstream.wire.chat import chat_payload, parse_chat, parse_chat_chunk
from hfgate.upstream.wire.common import UpstreamText
from hfgate.upstream.wire.completions import completions_payload, parse_completion, parse_completion_chunk
from hfgate.upstream.wire.embeddings import parse_embeddings
from hfgate.upstream.wire.form import Form
from hfgate.upstream.wire.rerank import documents_rerank_payload, parse_documents_rerank
from hfgate.upstream.wire.transcription import parse_transcription, transcription_form


class OpenAICompletions(GenerateProtocol):
    streams: ClassVar[bool] = True

    def url(self, at: Address, *, stream: bool) -> str:
        return at.at("/v1/completions")

    def payload(
        self, at: Address, prompt: str, *, settings: Mapping[str, Any], params: GenerationParams, stream: bool
    ) -> dict[str, Any]:
        return completions_payload(model=at.model, prompt=prompt, settings=settings, params=params, stream=stream)

    def parse(self, body: Any) -> UpstreamText:
        return parse_completion(body)

    def parse_event(self, body: Any) -> GenerationDelta:
        return parse_completion_chunk(body)


class OpenAIChat(ChatProtocol):
    """``/v1/chat/completions``; with no model name known, ``tgi`` (a single-model server ignores it)."""

    route: ClassVar[str] = "/v1/chat/completions"

    def url(self, at: Address) -> str:
        return at.at(self.route)

    def payload(
        self,
        at: Address,
        messages: tuple[ChatMessage, ...],
        *,
        settings: Mapping[str, Any],
        params: GenerationParams,
        stream: bool,
        tools: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        model = at.model or "tgi"
        return chat_payload(
            model=model, messages=messages, params=params, settings=settings, stream=stream, tools=tools
        )

    def parse(self, body: Any) -> UpstreamText:
        return parse_chat(body)

    def parse_event(self, body: Any) -> GenerationDelta:
        return parse_chat_chunk(body)


class OpenAIEmbeddings(EmbedProtocol):
    route: ClassVar[str] = "/v1/embeddings"

    def url(self, at: Address) -> str:
        return at.at(self.route)

    def payload(self, at: Address, texts: Sequence[str], *, normalize: bool = True) -> dict[str, Any]:
        if not normalize:
            raise BadRequestError(
                "`normalize: false` cannot be served: this endpoint's engine speaks OpenAI's /v1/embeddings, which "
                "has no such option; leave `normalize` out, or serve the model with TEI"
            )
        body: dict[str, Any] = {"input": list(texts)}
        return body | {"model": at.model} if at.model else body

    def parse(self, body: Any, *, count: int) -> Vectors:
        return parse_embeddings(body, count=count)


class DocumentsRerank(RerankProtocol):
    """The Cohere / Jina rerank shape: ``{query, documents}`` → ``results[{index, relevance_score}]``."""

    route: ClassVar[str] = "/v1/rerank"

    def url(self, at: Address) -> str:
        return at.at(self.route)

    def payload(self, at: Address, query: str, documents: Sequence[str]) -> dict[str, Any]:
        return documents_rerank_payload(at.model, query, documents)

    def parse(self, body: Any, *, count: int) -> Scores:
        return parse_documents_rerank(body)


NAME = "openai"
OWNED_BY: tuple[str, ...] = ()
PROTOCOLS: dict[Kind, Protocol] = {
    "generate": OpenAICompletions(),
    "chat": OpenAIChat(),
    "embed": OpenAIEmbeddings(),
    "rerank": DocumentsRerank(),
}


class OpenAITranscription(PipelineProtocol):
    """OpenAI's ``/v1/audio/transcriptions`` at :attr:`route` (a multipart form: the request's bytes with their
    Content-Type; ``hfgate.upstream.wire.transcription``); :attr:`server` names the server in refusals."""

    route: ClassVar[str] = "/v1/audio/transcriptions"
    server: ClassVar[str] = "The server"

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        return at.at(self.route)

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> Form:
        assert isinstance(request, Transcription)
        return transcription_form(request, model=at.model, server=self.server)

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> dict[str, Any]:
        assert isinstance(request, Transcription)
        return parse_transcription(body, request)
