"""The one read-through every cached answer takes: look the keys up, compute only the entries the cache
lacks (each repeated key once), store them, and give every entry back in the request's order.

What differs between dense vectors, sparse vectors, rerank scores and chunk spans is how an entry is
packed into bytes and how the missing ones are computed: a :class:`Codec` and a ``compute`` function.
A service's answer (dense vectors, sparse vectors, rerank scores) is a :class:`Kind`, which
:func:`answer_through` runs with the rules every kind shares: entries keyed by the model's identity and
its engine, nothing stored when the engine changed during the call, and the hits and misses counted
(``X-HFGate-Cache``, usage's cached texts, the ``hfgate_embed_cache_*`` metrics; chunk spans are not
counted: they are not what a request asked).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from hfgate.embed_cache import EmbedCache, VectorSpace
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model
from hfgate.tasks import Usage
from hfgate.telemetry.metrics import EMBED_CACHE_BYTES, EMBED_CACHE_TEXTS
from hfgate.telemetry.request_scope import count_cached

R = TypeVar("R")
T = TypeVar("T")
A = TypeVar("A")
R_contra = TypeVar("R_contra", contravariant=True)
A_co = TypeVar("A_co", covariant=True)

Compute = Callable[[list[int]], Awaitable[tuple[Sequence[T | None], Usage]]]
"""The entries at these places of the request, computed in one call (``None`` where the upstream gave
none: a document a reranker did not score), and what the call cost."""


class Codec(Protocol[T]):
    """How one kind of entry is kept in the cache: as bytes that unpack to the very same value."""

    def pack(self, model: str, keys: Sequence[str], values: Sequence[T | None]) -> list[tuple[str, bytes]]:
        """The entries of the model ``model`` computed for ``keys`` (in their order), packed with their
        keys; an entry the upstream gave none of (``None``) is not kept (:func:`entries`)."""
        ...

    def unpack(self, data: bytes) -> T:
        """The entry :meth:`pack` packed."""
        ...


@dataclass(frozen=True, slots=True)
class Filled(Generic[T]):
    """A read-through's outcome.

    Attributes:
        values: every entry in the request's order; ``None`` only where the upstream gave none. When
            the cache held none, the computed entries as they came (a local model's ``FloatRows``).
        usage: what computing the missing entries cost (nothing when the cache held all).
        found: what the cache held, packed (``None`` for the others): the hits and misses to count.
    """

    values: Sequence[T | None]
    usage: Usage
    found: list[bytes | None]


async def read_through(
    cache: EmbedCache,
    codec: Codec[T],
    *,
    model: str,
    keys: list[str],
    compute: Compute[T],
    owner: str,
    keep: Callable[[], Awaitable[bool]] | None = None,
    found: list[bytes | None] | None = None,
) -> Filled[T]:
    """Every key's entry, from the cache where it holds it, the others computed in one call and stored.

    Args:
        model: the model the entries belong to (what ``codec`` may remember about it).
        keys: one key per entry of the request, in its order.
        compute: the missing entries by their places.
        owner: the endpoint the stored entries are counted for.
        keep: asked after the call whether to store what it computed (not when the engine changed
            meanwhile); ``None``: always.
        found: the cache's answer for ``keys`` when the caller asked it already (with other keys).
    """
    if found is None:
        found = await cache.get_many(keys)
    missing = first_of_each(keys, found)
    if not missing:
        return Filled(values=[codec.unpack(value) for value in found if value is not None], usage=Usage(), found=found)
    computed, usage = await compute([i for i, _ in missing])
    fresh = [key for _, key in missing]
    if keep is None or await keep():
        await cache.put_many(codec.pack(model, fresh, computed), owner=owner)
    if len(missing) == len(keys):  # nothing was cached: the computed entries as they came
        return Filled(values=computed, usage=usage, found=found)
    by_key = dict(entries(fresh, computed))
    values = [by_key.get(key) if value is None else codec.unpack(value) for key, value in zip(keys, found, strict=True)]
    return Filled(values=values, usage=usage, found=found)


def entries(keys: Sequence[str], values: Sequence[T | None]) -> list[tuple[str, T]]:
    """``(key, entry)`` pairs of the entries that are not ``None``.

    Example:
        >>> entries(["a", "b", "c"], [1.5, None, 0.25])
        [('a', 1.5), ('c', 0.25)]
    """
    return [(key, value) for key, value in zip(keys, values, strict=True) if value is not None]


def first_of_each(keys: Sequence[str], found: Sequence[bytes | None]) -> list[tuple[int, str]]:
    """The entries to compute: the first place of each key the cache lacks (a repeat is computed once).

    Example:
        >>> first_of_each(["a", "b", "a", "c"], [None, b"x", None, None])
        [(0, 'a'), (3, 'c')]
    """
    if len(keys) == 1:  # most requests of the OpenAI and TEI faces: one text
        return [(0, keys[0])] if found[0] is None else []
    seen: set[str] = set()
    missing = []
    for i, (key, value) in enumerate(zip(keys, found, strict=True)):
        if value is None and key not in seen:
            seen.add(key)
            missing.append((i, key))
    return missing


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


def count_lookups(endpoint: Endpoint, found: list[bytes | None]) -> None:
    """Entries served from the cache are hits (``X-HFGate-Cache``, usage's cached texts, the metrics); the
    others (a repeat computed once too) misses."""
    misses = found.count(None)
    hits = len(found) - misses
    count_cached(hits=hits, misses=misses)
    name = endpoint.inference_id
    if hits:
        EMBED_CACHE_TEXTS(name, "hit").inc(hits)
        EMBED_CACHE_BYTES(name).inc(sum(len(v) for v in found if v is not None))
    if misses:
        EMBED_CACHE_TEXTS(name, "miss").inc(misses)


def count_served(endpoint: Endpoint, packed: Sequence[bytes]) -> None:
    """Count vectors a caller took from :meth:`~hfgate.orchestrator.cache.front.CacheFront.stored_chunks`
    as the cache's hits."""
    if packed:
        count_cached(hits=len(packed), misses=0)
        EMBED_CACHE_TEXTS(endpoint.inference_id, "hit").inc(len(packed))
        EMBED_CACHE_BYTES(endpoint.inference_id).inc(sum(map(len, packed)))
