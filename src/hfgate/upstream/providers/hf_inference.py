"""Hugging Face's own provider, ``hf-inference``: the pipeline routes ``{root}/models/{id}/…``
(huggingface_hub ``inference/_providers/hf_inference.py``; HF docs ``inference-providers``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfgate.pipelines import Pipeline
from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import (
    Address,
    EmbedProtocol,
    Kind,
    PipelineProtocol,
    Protocol,
    RerankProtocol,
    Scores,
    Vectors,
)
from hfgate.upstream.engines.openai import OpenAIChat
from hfgate.upstream.engines.tgi_protocols import Text2Text, TgiGenerate
from hfgate.upstream.wire.embeddings import embeddings_payload, parse_embeddings
from hfgate.upstream.wire.rerank import parse_similarity, similarity_payload


def _model_url(at: Address) -> str:
    return at.at(f"/models/{at.model}")


class HostedEmbed(EmbedProtocol):
    def url(self, at: Address) -> str:
        return _model_url(at) + "/pipeline/feature-extraction"

    def payload(self, at: Address, texts: Sequence[str], *, normalize: bool = True) -> dict[str, Any]:
        return embeddings_payload(texts, normalize=normalize)

    def parse(self, body: Any, *, count: int) -> Vectors:
        return parse_embeddings(body, count=count)


class HostedSimilarity(RerankProtocol):
    """Rerank as the ``sentence-similarity`` pipeline: one score per document, in document order."""

    def url(self, at: Address) -> str:
        return _model_url(at) + "/pipeline/sentence-similarity"

    def payload(self, at: Address, query: str, documents: Sequence[str]) -> dict[str, Any]:
        return similarity_payload(query, documents)

    def parse(self, body: Any, *, count: int) -> Scores:
        return parse_similarity(body, count=count)


class HostedGenerate(TgiGenerate):
    def url(self, at: Address, *, stream: bool) -> str:
        return _model_url(at)


class HostedText2Text(Text2Text):
    def url(self, at: Address, *, stream: bool) -> str:
        return _model_url(at)


class HostedChat(OpenAIChat):
    def url(self, at: Address) -> str:
        return _model_url(at) + self.route


class HostedPipeline(PipelineProtocol):
    """Every other Hub task at the model's route; a sentence embedder's similarity at its pipeline's own
    (huggingface_hub ``HFInferenceTask._prepare_url``: feature-extraction and sentence-similarity only)."""

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        if task.task is TaskType.SENTENCE_SIMILARITY:
            return _model_url(at) + "/pipeline/sentence-similarity"
        return _model_url(at)


NAME = "hf-inference"
PROTOCOLS: dict[Kind, Protocol] = {
    "embed": HostedEmbed(),
    "rerank": HostedSimilarity(),
    "generate": HostedGenerate(),
    "text2text": HostedText2Text(),
    "chat": HostedChat(),
    "pipeline": HostedPipeline(),
}
