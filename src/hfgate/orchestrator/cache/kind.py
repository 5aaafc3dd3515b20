"""What a service's cached answer is to the read-through (dense vectors, sparse vectors, rerank scores):
a :class:`Kind`, and :func:`answer_through`, which runs it with the rules every kind shares: entries
keyed by the model's identity and its engine, nothing stored when the engine changed during
the call, and the hits and misses counted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from hfgate.embed_cache import EmbedCache, VectorSpace
from hfgate.orchestrator.cache.read_through import Codec, Filled, read_through
from hfgate.orchestrator.cache.tally import count_lookups
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model
from hfgate.tasks import Usage

R = TypeVar("R")
T = TypeVar("T")
A = TypeVar("A")
R_contra = TypeVar("R_contra", contravariant=True)
A_co = TypeVar("A_co", covariant=True)


class Kind(Codec[T], Protocol[R_contra, T, A_co]):
    """One kind of cached answer: a request ``R`` of entries ``T`` (one per text, or per document) whose
    answer is ``A``."""

    async def direct(self, model: Model, request: R_contra) -> A_co:
        """The answer without the cache (it is off for this request)."""
        ...

    def space(self, model: str, engine: str, endpoint: Endpoint, request: R_contra) -> VectorSpace:
        """What the request's entries depend on but their texts."""
        ...

    def keys(self, space: VectorSpace, request: R_contra) -> list[str]:
        """One key per entry, in the request's order."""
        ...

    async def compute(self, model: Model, request: R_contra, places: list[int]) -> tuple[Sequence[T | None], Usage]:
        """The entries at ``places`` in one service call, and what it cost."""
        ...

    def answer(self, endpoint: Endpoint, request: R_contra, filled: Filled[T]) -> A_co:
        """The request's answer from all its entries."""
        ...


async def answer_through(cache: EmbedCache, kind: Kind[R, T, A], *, identity: str, model: Model, request: R) -> A:
    """``request``'s answer with the entries the cache holds under the model's ``identity``, the others
    computed in one call of ``model``."""
    endpoint = model.endpoint
    engine = await model.vector_engine()
    space = kind.space(identity, engine, endpoint, request)

    async def compute(places: list[int]) -> tuple[Sequence[T | None], Usage]:
        return await kind.compute(model, request, places)

    async def unchanged() -> bool:  # an engine switch mid-call: keep nothing
        return await model.vector_engine() == engine

    keys = kind.keys(space, request)
    filled = await read_through(
        cache, kind, model=identity, keys=keys, compute=compute, owner=endpoint.inference_id, keep=unchanged
    )
    count_lookups(endpoint, filled.found)
    return kind.answer(endpoint, request, filled)
