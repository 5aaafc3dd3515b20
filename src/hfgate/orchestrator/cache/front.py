"""The cache in front of a service: which requests go through it, and the calls the orchestrator makes.

A request goes through the cache when it is on (``HFGATE_EMBED_CACHE``), the endpoint's ``cache``
setting is ``on`` (:func:`~hfgate.services.cache_setting.caches`) and the request did not say
``?cache=false``; every other request goes straight to the service. Entries are keyed by the model's
identity as its service says (``Service.vector_model``), never by the endpoint's id.
"""

from __future__ import annotations

from collections.abc import Sequence

from hfgate.embed_cache import EmbedCache, model_prefix
from hfgate.orchestrator.cache.dense import DenseVectors, embedding_space
from hfgate.orchestrator.cache.kind import A, Kind, R, T, answer_through
from hfgate.orchestrator.cache.rerank import PairScores
from hfgate.orchestrator.cache.spans import Spans, cached_spans
from hfgate.orchestrator.cache.sparse import SparseVectors
from hfgate.orchestrator.cache.stored_chunks import StoredChunk, cached_inputs, spans_and_vectors
from hfgate.orchestrator.cache.tally import count_served
from hfgate.orchestrator.chunked import split_inputs
from hfgate.registry.endpoint import Endpoint
from hfgate.services import Service
from hfgate.services.base import named
from hfgate.services.cache_setting import caches
from hfgate.tasks import (
    EmbeddingResult,
    EmbedRequest,
    RerankRequest,
    RerankResult,
    SparseEmbeddingResult,
    SparseWeights,
)
from hfgate.telemetry.request_scope import cache_wanted

_REMEMBERED = 1024


class CacheFront:
    """A service's ``embed``, ``sparse_weights`` and rerank scores, and the chunking of inputs, with the
    cache in front.

    Args:
        cache: the process's cache; ``None`` when ``HFGATE_EMBED_CACHE`` is off.
    """

    def __init__(self, cache: EmbedCache | None) -> None:
        self.cache = cache
        self.dense = DenseVectors()
        self.sparse = SparseVectors()
        self.pairs = PairScores()
        # The endpoint lookup hands out the same Endpoint object until it changes: its model identity
        # is read once per object (the settings parsed, hashed), not once per request.
        self._models: dict[int, tuple[Endpoint, str | None]] = {}

    async def embed(self, service: Service, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        """``request``'s vectors, from the cache where it has them, in the request's order."""
        return await self._through(self.dense, service, endpoint, request)

    async def sparse_weights(self, service: Service, endpoint: Endpoint, request: EmbedRequest) -> SparseWeights:
        """``request``'s sparse vectors by vocabulary id (TEI's ``/embed_sparse``), from the cache where it has them."""
        return await self._through(self.sparse, service, endpoint, request)

    async def sparse_embed(self, service: Service, endpoint: Endpoint, request: EmbedRequest) -> SparseEmbeddingResult:
        """``request``'s sparse vectors, from the cache where it has them, their ids named."""
        weights = await self.sparse_weights(service, endpoint, request)
        return named(weights, await service.token_names(endpoint))

    async def rerank(self, service: Service, endpoint: Endpoint, request: RerankRequest) -> RerankResult:
        """``request``'s documents best first, with the scores the cache holds and the others computed."""
        return await self._through(self.pairs, service, endpoint, request)

    async def spans(self, service: Service, endpoint: Endpoint, texts: Sequence[str]) -> list[Spans]:
        """Each text's chunk offsets by ``endpoint``'s chunking settings, from the cache when it is on."""
        model = self._model(service, endpoint)
        if model is None or self.cache is None:
            return split_inputs(endpoint, texts)
        return await cached_spans(self.cache, model=model, endpoint=endpoint, texts=texts)

    async def stored_chunks(
        self, service: Service, endpoint: Endpoint, request: EmbedRequest
    ) -> list[list[StoredChunk] | None]:
        """Each input's chunks when the cache holds every one of them (their vectors packed), else
        ``None``; computes no vector. The chunks taken are counted as hits."""
        model = self._model(service, endpoint)
        if model is None or self.cache is None:
            offsets = split_inputs(endpoint, request.texts)
            found: list[bytes | None] = [None] * sum(map(len, offsets))
        else:
            space = embedding_space(model, await service.vector_engine(endpoint), endpoint=endpoint, request=request)
            offsets, found = await spans_and_vectors(self.cache, space=space, endpoint=endpoint, texts=request.texts)
        inputs = cached_inputs(request.texts, offsets, found=found)
        count_served(endpoint, [c.packed for chunks in inputs if chunks is not None for c in chunks])
        return inputs

    async def forget(self, service: Service, endpoint: Endpoint) -> int:
        """Remove every entry of ``endpoint``'s model (its last endpoint went); how many the shared tier held."""
        model = self.model_of(service, endpoint)
        if model is None or self.cache is None:
            return 0
        return await self.cache.drop_prefix(model_prefix(model) + ":")

    def model_of(self, service: Service, endpoint: Endpoint) -> str | None:
        """``endpoint``'s model identity, if its entries are cached (whatever the request asks)."""
        return self._model(service, endpoint, asked=False)

    async def _through(self, kind: Kind[R, T, A], service: Service, endpoint: Endpoint, request: R) -> A:
        """``request``'s answer through the cache when it goes through it, else straight from the service."""
        model = self._model(service, endpoint)
        if model is None or self.cache is None:
            return await kind.direct(service, endpoint, request)
        return await answer_through(self.cache, kind, model=model, service=service, endpoint=endpoint, request=request)

    def _model(self, service: Service, endpoint: Endpoint, *, asked: bool = True) -> str | None:
        if self.cache is None or (asked and not cache_wanted()):
            return None
        known = self._models.get(id(endpoint))
        if known is not None and known[0] is endpoint:
            return known[1]
        model = service.vector_model(endpoint) if caches(endpoint) else None
        if len(self._models) >= _REMEMBERED:
            self._models.clear()
        self._models[id(endpoint)] = (endpoint, model)
        return model
