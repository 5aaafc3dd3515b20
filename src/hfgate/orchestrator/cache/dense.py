"""Dense vectors through the cache: one entry per text and vector space, the packed bytes of the vector
computed (:mod:`hfgate.embed_cache.vectors`), so a cached vector equals a fresh one bit for bit on an
exact engine. Usage is what the service computed: texts served from the cache cost no tokens and are
counted apart (``X-HFGate-Cache``, ``hfgate_embed_cache_texts``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from hfgate.embed_cache import VectorSpace, content_keys
from hfgate.embed_cache.vectors import WIDE, pack, pack_float32, pack_wide, unpack
from hfgate.orchestrator.cache.read_through import Filled, entries
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model
from hfgate.tasks import EmbeddingResult, EmbedRequest, FloatRows, Usage

_REMEMBERED = 1024
# The vector spaces of requests without task settings, by model, engine and options.
_SPACES: dict[tuple[str, str, bool, int | None, str | None], VectorSpace] = {}


class DenseVectors:
    """A service's ``embed``, as a :class:`~hfgate.orchestrator.cache.read_through.Kind`."""

    def __init__(self) -> None:
        self._wide: set[str] = set()

    async def direct(self, model: Model, request: EmbedRequest) -> EmbeddingResult:
        return await model.embed(request)

    def space(self, model: str, engine: str, endpoint: Endpoint, request: EmbedRequest) -> VectorSpace:
        return embedding_space(model, engine, endpoint=endpoint, request=request)

    def keys(self, space: VectorSpace, request: EmbedRequest) -> list[str]:
        """A text's key, or an image's by its bytes (``content_keys``): never a text's."""
        return content_keys(space, request.texts, [None if i is None else i.digest for i in request.images])

    async def compute(
        self, model: Model, request: EmbedRequest, places: list[int]
    ) -> tuple[Sequence[list[float] | None], Usage]:
        result = await model.embed(only_texts(request, places))
        return result.embeddings, result.usage

    def pack(self, model: str, keys: Sequence[str], values: Sequence[list[float] | None]) -> list[tuple[str, bytes]]:
        """Packed vectors: a local model's rows (``FloatRows``) as their float32 bytes, without a Python float
        each; others checked for float32, except that a model whose vectors were not float32 (a remote
        server's JSON decimals) is not checked again: float64 at once, bit for bit all the same, the check
        being most of a miss's CPU."""
        if isinstance(values, FloatRows):
            return [(key, pack_float32(row)) for key, row in zip(keys, values.array, strict=True)]
        items = entries(keys, values)
        if model in self._wide:
            return [(key, pack_wide(v)) for key, v in items]
        packed = [(key, pack(v)) for key, v in items]
        if packed and packed[-1][1][:1] == WIDE:
            if len(self._wide) >= _REMEMBERED:
                self._wide.clear()
            self._wide.add(model)
        return packed

    def unpack(self, data: bytes) -> list[float]:
        return unpack(data)

    def answer(self, endpoint: Endpoint, request: EmbedRequest, filled: Filled[list[float]]) -> EmbeddingResult:
        # a service gives every text's vector: no entry is None
        return EmbeddingResult(embeddings=cast(Sequence[list[float]], filled.values), usage=filled.usage)


def only_texts(request: EmbedRequest, places: Sequence[int]) -> EmbedRequest:
    """``request`` with only the texts (and images) at ``places`` (itself when every text is there)."""
    if len(places) == len(request.texts):
        return request
    images = tuple(request.images[i] for i in places) if request.images else ()
    return replace(request, texts=tuple(request.texts[i] for i in places), images=images)


def embedding_space(model: str, engine: str, *, endpoint: Endpoint, request: EmbedRequest) -> VectorSpace:
    """The request's vector space; one object per space without task settings (nearly all), reused."""
    dimensions = endpoint.service_settings.get("dimensions")
    input_type = request.input_type.value if request.input_type else None
    plain = (model, engine, request.normalize, dimensions, input_type)
    space = _SPACES.get(plain)
    if space is None:
        if len(_SPACES) >= _REMEMBERED:
            _SPACES.clear()
        space = _SPACES[plain] = VectorSpace(
            model=model, engine=engine, normalize=request.normalize, dimensions=dimensions, input_type=input_type
        )
    return replace(space, task_settings=request.task_settings) if request.task_settings else space
