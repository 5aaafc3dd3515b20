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
from hfgate.orchestrator.cache.read_through import Filled, entries
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model, ranked
from hfgate.tasks import RerankRequest, RerankResult, RerankScores, Usage


class PairScores:
    """A service's rerank scores, as a :class:`~hfgate.orchestrator.cache.read_through.Kind`: a document the
    upstream did not score has none (and is not stored)."""

    async def direct(self, model: Model, request: RerankRequest) -> RerankResult:
        return await model.rerank(request)

    def space(self, model: str, engine: str, endpoint: Endpoint, request: RerankRequest) -> VectorSpace:
        return VectorSpace(model=model, engine=engine)

    def keys(self, space: VectorSpace, request: RerankRequest) -> list[str]:
        return pair_keys(space, request.query, request.documents)

    async def compute(
        self, model: Model, request: RerankRequest, places: list[int]
    ) -> tuple[Sequence[float | None], Usage]:
        if len(places) < len(request.documents):
            request = replace(request, documents=tuple(request.documents[i] for i in places))
        result = await model.rerank_scores(request)
        return [result.scores.get(i) for i in range(len(places))], result.usage

    def pack(self, model: str, keys: Sequence[str], values: Sequence[float | None]) -> list[tuple[str, bytes]]:
        return [(key, pack([score])) for key, score in entries(keys, values)]

    def unpack(self, data: bytes) -> float:
        return unpack(data)[0]

    def answer(self, endpoint: Endpoint, request: RerankRequest, filled: Filled[float]) -> RerankResult:
        scores = {i: score for i, score in enumerate(filled.values) if score is not None}
        return ranked(endpoint, request, RerankScores(scores=scores, usage=filled.usage))


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
