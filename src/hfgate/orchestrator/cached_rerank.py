"""Rerank through the cache: what repeats is a (query, document) pair, so each pair's score is kept
under the model's identity, the query's digest and the document's; a request sends upstream only the
documents whose pair the cache lacks (in one call), and is ranked from all the scores.

The service's ranking depends on the scores alone (best first, equal scores in document order,
:meth:`hfgate.tasks.RerankScores.ranked`), so an answer partly from the cache is the fresh one: the
same hits, order, ``top_n`` and texts. The options rerank protocols send are fixed (TEI's
``truncate``, no ``raw_scores``); what else changes a score is in the model's identity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from hfgate.embed_cache import VectorSpace
from hfgate.embed_cache.vectors import pack, unpack
from hfgate.orchestrator.cache_lookups import cache_model
from hfgate.orchestrator.cache_tally import count_lookups, first_of_each
from hfgate.orchestrator.cached import CachedEmbeddings
from hfgate.registry.endpoint import Endpoint
from hfgate.services import Service
from hfgate.services.base import ranked
from hfgate.tasks import RerankRequest, RerankResult, RerankScores, Usage


class CachedRerank:
    """A service's ``rerank`` with the cache in front.

    Args:
        vectors: the dense vectors' cache, whose tiers and model identities are shared.
    """

    def __init__(self, vectors: CachedEmbeddings) -> None:
        self.vectors = vectors

    async def rerank(self, service: Service, endpoint: Endpoint, request: RerankRequest) -> RerankResult:
        """``request``'s documents best first, with the scores the cache holds and the others computed."""
        model = cache_model(self.vectors, service, endpoint)
        cache = self.vectors.cache
        if model is None or cache is None:
            return await service.rerank(endpoint, request)
        space = VectorSpace(model=model, engine=await service.vector_engine(endpoint))
        keys = pair_keys(space, request.query, request.documents)
        found = await cache.get_many(keys)
        missing = first_of_each(keys, found)
        fresh, usage = await self._compute(service, endpoint, request, missing=missing, engine=space.engine)
        scores = _assemble(keys, found, fresh=fresh)
        count_lookups(endpoint, found)
        return ranked(endpoint, request, RerankScores(scores=scores, usage=usage))

    async def _compute(
        self,
        service: Service,
        endpoint: Endpoint,
        request: RerankRequest,
        *,
        missing: list[tuple[int, str]],
        engine: str,
    ) -> tuple[dict[str, float], Usage]:
        """The missing pairs' scores by key, in one call, and what it cost; stored unless the engine
        changed meanwhile. A document the upstream did not score has none (and is not stored)."""
        if not missing:
            return {}, Usage()
        if len(missing) < len(request.documents):
            request = replace(request, documents=tuple(request.documents[i] for i, _ in missing))
        result = await service.rerank_scores(endpoint, request)
        by_key = {missing[i][1]: score for i, score in result.scores.items()}
        if self.vectors.cache is not None and await service.vector_engine(endpoint) == engine:
            await self.vectors.cache.put_many([(k, pack([s])) for k, s in by_key.items()], owner=endpoint.inference_id)
        return by_key, result.usage


def pair_keys(space: VectorSpace, query: str, documents: Sequence[str]) -> list[str]:
    """One key per document: ``<space prefix>:<32 hex digits of the query>:<32 of the document>``.

    Example:
        >>> a, b, c = pair_keys(VectorSpace(model="m"), "q", ["d", "e", "d"])
        >>> a == c, a[:50] == b[:50], a != b, len(a)
        (True, True, True, 99)
    """
    prefix = space.prefix
    salt = prefix.encode()
    query_key = f"{prefix}:{_digest(query, salt)}:"
    return [query_key + _digest(document, salt) for document in documents]


def _digest(text: str, salt: bytes) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16, key=salt).hexdigest()


def _assemble(keys: Sequence[str], found: Sequence[bytes | None], *, fresh: dict[str, float]) -> dict[int, float]:
    """Each document's score by its place: cached ones unpacked, computed ones as the service gave them."""
    scores: dict[int, float] = {}
    for i, (key, value) in enumerate(zip(keys, found, strict=True)):
        if value is not None:
            scores[i] = unpack(value)[0]
        elif key in fresh:
            scores[i] = fresh[key]
    return scores
