"""Where a Hugging Face model is reached: a hosted model id, or the url of a server.

This is the one place that tells the two apart. A :class:`HostedModel` goes through the hosted
(serverless) router at ``HFGATE_HF_INFERENCE_URL``; a :class:`ServerUrl` is a dedicated Inference
Endpoint or any TEI / TGI server, used as given (``POST /`` does what the model type says).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hfgate.upstream.wire.chat import chat_url
from hfgate.upstream.wire.rerank import (
    Scores,
    parse_rerank,
    parse_similarity,
    rerank_payload,
    rerank_url,
    similarity_payload,
)

_SERVER_SUFFIXES = ("/v1/chat/completions", "/v1", "/rerank", "/embed", "/generate")


@dataclass(frozen=True, slots=True)
class RerankCall:
    """A rerank request in one target's protocol."""

    url: str
    payload: dict[str, Any]
    parse: Callable[[Any], Scores]


@dataclass(frozen=True, slots=True)
class HostedModel:
    """A model id on the hosted router: ``{base}/models/{id}`` and its pipeline routes."""

    base: str
    model_id: str
    hosted = True
    scale_up = False

    @property
    def target(self) -> str:
        return self.model_id

    @property
    def model_url(self) -> str:
        return f"{self.base.rstrip('/')}/models/{self.model_id}"

    def embeddings_url(self) -> str:
        return f"{self.model_url}/pipeline/feature-extraction"

    def generate_url(self) -> str:
        return self.model_url

    def chat_url(self) -> str:
        return f"{self.model_url}/v1/chat/completions"

    def chat_model(self) -> str:
        return self.model_id

    def info_url(self) -> str | None:
        return None

    def rerank(self, query: str, documents: Sequence[str]) -> RerankCall:
        count = len(documents)
        return RerankCall(
            f"{self.model_url}/pipeline/sentence-similarity",
            similarity_payload(query, documents),
            lambda body: parse_similarity(body, count=count),
        )


@dataclass(frozen=True, slots=True)
class ServerUrl:
    """A dedicated Inference Endpoint, or a TEI / TGI server, at ``url``."""

    url: str
    hosted = False
    scale_up = True  # a scaled-to-zero Inference Endpoint holds the request instead of answering 503

    @property
    def target(self) -> str:
        return self.url

    def embeddings_url(self) -> str:
        return self.url

    def generate_url(self) -> str:
        return self.url

    def chat_url(self) -> str:
        return chat_url(self.url)

    def chat_model(self) -> str:
        return "tgi"  # TGI serves one model and ignores the name; OpenAI's schema requires one

    def info_url(self) -> str:
        return self.base_url() + "/info"

    def base_url(self) -> str:
        url = self.url.rstrip("/")
        for suffix in _SERVER_SUFFIXES:
            if url.endswith(suffix):
                return url[: -len(suffix)]
        return url

    def rerank(self, query: str, documents: Sequence[str]) -> RerankCall:
        return RerankCall(rerank_url(self.url), rerank_payload(query, documents), parse_rerank)


Target = HostedModel | ServerUrl


def target_for(service_settings: Mapping[str, Any], *, inference_url: str) -> Target:
    """The target that ``service_settings`` names: ``url`` if given, else ``model_id``.

    Example:
        >>> target_for({"model_id": "BAAI/bge-small-en-v1.5"}, inference_url="https://router.huggingface.co/hf-inference").embeddings_url()
        'https://router.huggingface.co/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction'
    """
    url = service_settings.get("url")
    if url:
        return ServerUrl(str(url))
    return HostedModel(inference_url, str(service_settings["model_id"]))
