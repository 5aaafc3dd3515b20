"""TGI's own generation protocol and the pipeline-shaped protocols posted to one url, shared by the
``tgi`` and ``pipeline`` engines and the ``hf-inference`` provider."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from hfgate.tasks import GenerationDelta, GenerationParams
from hfgate.upstream.engines.base import Address, EmbedProtocol, GenerateProtocol, Kind, RerankProtocol, Scores, Vectors
from hfgate.upstream.wire.common import UpstreamText
from hfgate.upstream.wire.embeddings import embeddings_payload, parse_embeddings
from hfgate.upstream.wire.rerank import parse_rerank, rerank_payload, rerank_url
from hfgate.upstream.wire.text2text import parse_text2text, text2text_parameters
from hfgate.upstream.wire.tgi import generate_payload, parse_generation, parse_stream_event, tgi_parameters


class TgiGenerate(GenerateProtocol):
    """``{"inputs", "parameters"}``; ``/generate`` and ``/generate_stream`` (TGI ``router/src/server.rs``)."""

    streams: ClassVar[bool] = True

    def url(self, at: Address, *, stream: bool) -> str:
        return at.at("/generate_stream" if stream else "/generate")

    def payload(
        self, at: Address, prompt: str, *, settings: Mapping[str, Any], params: GenerationParams, stream: bool
    ) -> dict[str, Any]:
        return generate_payload(prompt, tgi_parameters(settings, params), stream=stream)

    def parse(self, body: Any) -> UpstreamText:
        return parse_generation(body)

    def parse_event(self, body: Any) -> GenerationDelta:
        return parse_stream_event(body)


class GivenUrlGenerate(TgiGenerate):
    """TGI's body posted to the url as given (an Inference Endpoint's ``/``, which streams on ``stream``)."""

    def url(self, at: Address, *, stream: bool) -> str:
        return at.given or at.root


class Text2Text(GenerateProtocol):
    """A transformers text2text pipeline: TGI's body less TGI-only parameters; no stream, no echo."""

    kind: ClassVar[Kind] = "text2text"

    def url(self, at: Address, *, stream: bool) -> str:
        return at.given or at.root

    def payload(
        self, at: Address, prompt: str, *, settings: Mapping[str, Any], params: GenerationParams, stream: bool
    ) -> dict[str, Any]:
        return generate_payload(prompt, text2text_parameters(tgi_parameters(settings, params)))

    def parse(self, body: Any) -> UpstreamText:
        return parse_text2text(body)


class GivenUrlEmbed(EmbedProtocol):
    """``{"inputs": [...]}`` — exactly Elasticsearch's body — posted to the url as given."""

    def url(self, at: Address) -> str:
        return at.given or at.root

    def payload(self, at: Address, texts: Sequence[str], *, normalize: bool = True) -> dict[str, Any]:
        return embeddings_payload(texts, normalize=normalize)

    def parse(self, body: Any, *, count: int) -> Vectors:
        return parse_embeddings(body, count=count)


class TeiRerank(RerankProtocol):
    """TEI's ``/rerank``: ``{query, texts}`` → ``[{index, score}]`` (TEI ``router/src/http/types.rs``)."""

    def url(self, at: Address) -> str:
        return rerank_url(at.given or at.root)

    def payload(self, at: Address, query: str, documents: Sequence[str]) -> dict[str, Any]:
        return rerank_payload(query, documents)

    def parse(self, body: Any, *, count: int) -> Scores:
        return parse_rerank(body)
