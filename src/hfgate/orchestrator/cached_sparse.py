"""Sparse embeddings through the cache, as dense vectors go (``cached.py``): per text and model
version, the texts it lacks computed in one service call, every vector in the request's order.

What is kept is the model's answer before its ids are named (``{vocabulary id: weight}``,
:mod:`hfgate.embed_cache.sparse_rows`); the names are given at each answer, cached or not, so a cached
vector is the fresh one bit for bit even when the tokenizer that names them came or went meanwhile.
"""

from __future__ import annotations

from hfgate.embed_cache import VectorSpace, text_keys
from hfgate.embed_cache.sparse_rows import pack_sparse, unpack_sparse
from hfgate.orchestrator.cache_lookups import cache_model
from hfgate.orchestrator.cache_tally import count_lookups, first_of_each, missing_texts
from hfgate.orchestrator.cached import CachedEmbeddings
from hfgate.registry.endpoint import Endpoint
from hfgate.services import Service
from hfgate.services.base import named
from hfgate.tasks import EmbedRequest, SparseEmbeddingResult, SparseWeights


class CachedSparse:
    """A service's ``sparse_embed`` with the cache in front.

    Args:
        vectors: the dense vectors' cache, whose tiers and model identities are shared.
    """

    def __init__(self, vectors: CachedEmbeddings) -> None:
        self.vectors = vectors

    async def sparse_embed(self, service: Service, endpoint: Endpoint, request: EmbedRequest) -> SparseEmbeddingResult:
        """``request``'s sparse vectors, from the cache where it has them, their ids named."""
        weights = await self.sparse_weights(service, endpoint, request)
        return named(weights, await service.token_names(endpoint))

    async def sparse_weights(self, service: Service, endpoint: Endpoint, request: EmbedRequest) -> SparseWeights:
        """``request``'s sparse vectors by vocabulary id (TEI's ``/embed_sparse``), from the cache where it has them."""
        model = cache_model(self.vectors, service, endpoint)
        cache = self.vectors.cache
        if model is None or cache is None:
            return await service.sparse_weights(endpoint, request)
        space = _space(model, await service.vector_engine(endpoint), request=request)
        keys = text_keys(space, request.texts)
        found = await cache.get_many(keys)
        missing = first_of_each(keys, found)
        fresh = await self._compute(service, endpoint, request, missing=missing, engine=space.engine)
        computed = {key: row for (_, key), row in zip(missing, fresh.weights, strict=True)}
        rows = [
            computed[key] if value is None else unpack_sparse(value) for key, value in zip(keys, found, strict=True)
        ]
        count_lookups(endpoint, found)
        return SparseWeights(weights=rows, usage=fresh.usage)

    async def _compute(
        self,
        service: Service,
        endpoint: Endpoint,
        request: EmbedRequest,
        *,
        missing: list[tuple[int, str]],
        engine: str,
    ) -> SparseWeights:
        """The missing texts' weights in one call, stored unless the engine changed meanwhile."""
        if not missing:
            return SparseWeights(weights=[])
        request = missing_texts(request, missing)
        result = await service.sparse_weights(endpoint, request)
        if self.vectors.cache is not None and await service.vector_engine(endpoint) == engine:
            packed = [(key, pack_sparse(row)) for (_, key), row in zip(missing, result.weights, strict=True)]
            await self.vectors.cache.put_many(packed, owner=endpoint.inference_id)
        return result


def _space(model: str, engine: str, *, request: EmbedRequest) -> VectorSpace:
    return VectorSpace(
        model=model,
        engine=engine,
        normalize=request.normalize,
        input_type=request.input_type.value if request.input_type else None,
        task_settings=request.task_settings,
    )
