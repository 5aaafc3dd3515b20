"""The cache in front of a service: which requests go through it, and the calls the orchestrator makes.

A request goes through the cache when it is on (``HFGATE_EMBED_CACHE``), the endpoint's ``cache``
setting is ``on`` (``Model.cache_on``) and the request did not say
``?cache=false``; every other request goes straight to the service. Entries are keyed by the model's
identity as its model object says (``Model.vector_model``), never by the endpoint's id.
"""

from __future__ import annotations

from collections.abc import Sequence

from hfgate.embed_cache import EmbedCache, model_prefix
from hfgate.orchestrator.cache.dense import DenseVectors, embedding_space
from hfgate.orchestrator.cache.read_through import A, Kind, R, T, answer_through, count_served
from hfgate.orchestrator.cache.rerank import PairScores
from hfgate.orchestrator.cache.spans import Spans, cached_spans
from hfgate.orchestrator.cache.sparse import SparseVectors
from hfgate.orchestrator.cache.stored_chunks import StoredChunk, cached_inputs, spans_and_vectors
from hfgate.orchestrator.chunked import split_inputs
from hfgate.services.base import Model, named
from hfgate.tasks import (
    EmbeddingResult,
    EmbedRequest,
    RerankRequest,
    RerankResult,
    SparseEmbeddingResult,
    SparseWeights,
)
from hfgate.telemetry.request_scope import cache_wanted


class CacheFront:
    """A model's ``embed``, ``sparse_weights`` and rerank scores, and the chunking of inputs, with the
    cache in front.

    Args:
        cache: the process's cache; ``None`` when ``HFGATE_EMBED_CACHE`` is off.
    """

    def __init__(self, cache: EmbedCache | None) -> None:
        self.cache = cache
        self.dense = DenseVectors()
        self.sparse = SparseVectors()
        self.pairs = PairScores()

    async def embed(self, model: Model, request: EmbedRequest) -> EmbeddingResult:
        """``request``'s vectors, from the cache where it has them, in the request's order."""
        return await self._through(self.dense, model, request)

    async def sparse_weights(self, model: Model, request: EmbedRequest) -> SparseWeights:
        """``request``'s sparse vectors by vocabulary id (TEI's ``/embed_sparse``), from the cache where it has them."""
        return await self._through(self.sparse, model, request)

    async def sparse_embed(self, model: Model, request: EmbedRequest) -> SparseEmbeddingResult:
        """``request``'s sparse vectors, from the cache where it has them, their ids named."""
        weights = await self.sparse_weights(model, request)
        return named(weights, await model.token_names())

    async def rerank(self, model: Model, request: RerankRequest) -> RerankResult:
        """``request``'s documents best first, with the scores the cache holds and the others computed."""
        return await self._through(self.pairs, model, request)

    async def spans(self, model: Model, texts: Sequence[str]) -> list[Spans]:
        """Each text's chunk offsets by the endpoint's chunking settings, from the cache when it is on."""
        identity, endpoint = self._identity(model), model.endpoint
        if identity is None or self.cache is None:
            return split_inputs(endpoint, texts)
        return await cached_spans(self.cache, model=identity, endpoint=endpoint, texts=texts)

    async def stored_chunks(self, model: Model, request: EmbedRequest) -> list[list[StoredChunk] | None]:
        """Each input's chunks when the cache holds every one of them (their vectors packed), else
        ``None``; computes no vector. The chunks taken are counted as hits."""
        identity, endpoint = self._identity(model), model.endpoint
        if identity is None or self.cache is None:
            offsets = split_inputs(endpoint, request.texts)
            found: list[bytes | None] = [None] * sum(map(len, offsets))
        else:
            space = embedding_space(identity, await model.vector_engine(), endpoint=endpoint, request=request)
            offsets, found = await spans_and_vectors(self.cache, space=space, endpoint=endpoint, texts=request.texts)
        inputs = cached_inputs(request.texts, offsets, found=found)
        count_served(endpoint, [c.packed for chunks in inputs if chunks is not None for c in chunks])
        return inputs

    async def forget(self, model: Model) -> int:
        """Remove every entry of the model (its last endpoint went); how many the shared tier held."""
        identity = self.identity_of(model)
        if identity is None or self.cache is None:
            return 0
        return await self.cache.drop_prefix(model_prefix(identity) + ":")

    def identity_of(self, model: Model) -> str | None:
        """The model's identity, if its entries are cached (whatever the request asks)."""
        return self._identity(model, asked=False)

    async def _through(self, kind: Kind[R, T, A], model: Model, request: R) -> A:
        """``request``'s answer through the cache when it goes through it, else straight from the model."""
        identity = self._identity(model)
        if identity is None or self.cache is None:
            return await kind.direct(model, request)
        return await answer_through(self.cache, kind, identity=identity, model=model, request=request)

    def _identity(self, model: Model, *, asked: bool = True) -> str | None:
        if self.cache is None or (asked and not cache_wanted()) or not model.cache_on:
            return None
        return model.vector_model
