"""Embeddings through the cache: the texts it holds are served from it, the others computed in one
service call, and every vector comes back in the request's order.

Every face reaches a service's ``embed`` through :meth:`Orchestrator.embed` (chunked requests and
``embed-corpus`` too), which calls :meth:`CachedEmbeddings.embed`. A cached vector is the bytes of the
one computed (:mod:`hfgate.embed_cache.vectors`), so it equals a fresh one bit for bit on an exact
engine. Usage is what the service computed: texts served from the cache cost no tokens and are counted
apart (``X-HFGate-Cache``, ``hfgate_embed_cache_texts``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hfgate.embed_cache import EmbedCache, VectorSpace, model_prefix, text_keys
from hfgate.embed_cache.vectors import WIDE, pack, pack_wide, unpack
from hfgate.orchestrator.cache_tally import count_lookups, first_of_each, missing_texts
from hfgate.orchestrator.cached_spans import Spans, cached_spans, spans_and_vectors
from hfgate.orchestrator.chunked import split_inputs
from hfgate.registry.endpoint import Endpoint
from hfgate.services import Service
from hfgate.services.cache_setting import caches
from hfgate.tasks import EmbeddingResult, EmbedRequest, Usage
from hfgate.telemetry.request_scope import cache_wanted

_REMEMBERED = 1024
# The vector spaces of requests without task settings, by model, engine and options.
_SPACES: dict[tuple[str, str, bool, int | None, str | None], VectorSpace] = {}


class CachedEmbeddings:
    """A service's ``embed`` with the cache in front.

    Args:
        cache: the process's cache; ``None`` when ``HFGATE_EMBED_CACHE`` is off.
    """

    def __init__(self, cache: EmbedCache | None) -> None:
        self.cache = cache
        # The endpoint lookup hands out the same Endpoint object until it changes: its model identity
        # is read once per object (the settings parsed, hashed), not once per request.
        self._models: dict[int, tuple[Endpoint, str | None]] = {}
        self._wide: set[str] = set()

    async def embed(self, service: Service, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        """``request``'s vectors on ``endpoint``, from the cache where it has them."""
        model = self._model(service, endpoint)
        if model is None or self.cache is None:
            return await service.embed(endpoint, request)
        space = _space(model, await service.vector_engine(endpoint), endpoint=endpoint, request=request)
        keys = text_keys(space, request.texts)
        found = await self.cache.get_many(keys)
        missing = first_of_each(keys, found)
        fresh = await self._compute(service, endpoint, request, missing=missing, space=space)
        vectors = _assemble(keys, found, missing=missing, fresh=fresh.embeddings)
        count_lookups(endpoint, found)
        return EmbeddingResult(embeddings=vectors, usage=fresh.usage)

    async def peek_chunked(
        self, service: Service, endpoint: Endpoint, request: EmbedRequest
    ) -> tuple[list[Spans], list[bytes | None]]:
        """Each of ``request``'s texts' chunk offsets, and every chunk's vector the cache holds, packed
        (``None`` for the others, the texts' chunks after each other); computes no vector."""
        model = self._model(service, endpoint)
        if model is None or self.cache is None:
            offsets = split_inputs(endpoint, request.texts)
            return offsets, [None] * sum(map(len, offsets))
        space = _space(model, await service.vector_engine(endpoint), endpoint=endpoint, request=request)
        return await spans_and_vectors(self.cache, space=space, endpoint=endpoint, texts=request.texts)

    async def spans(self, service: Service, endpoint: Endpoint, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Each text's chunk offsets by ``endpoint``'s chunking settings, from the cache when it is on."""
        model = self._model(service, endpoint)
        if model is None or self.cache is None:
            return split_inputs(endpoint, texts)
        return await cached_spans(self.cache, model=model, endpoint=endpoint, texts=texts)

    async def forget(self, service: Service, endpoint: Endpoint) -> int:
        """Remove every entry of ``endpoint``'s model (its last endpoint went); how many the shared tier held."""
        model = self._model(service, endpoint, asked=False)
        if model is None or self.cache is None:
            return 0
        return await self.cache.drop_prefix(model_prefix(model) + ":")

    def model_of(self, service: Service, endpoint: Endpoint) -> str | None:
        """``endpoint``'s model identity, if its vectors are cached."""
        return self._model(service, endpoint, asked=False)

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

    async def _compute(
        self,
        service: Service,
        endpoint: Endpoint,
        request: EmbedRequest,
        *,
        missing: list[tuple[int, str]],
        space: VectorSpace,
    ) -> EmbeddingResult:
        """The missing texts' vectors in one call, stored unless the engine changed meanwhile."""
        if not missing:
            return EmbeddingResult(embeddings=[], usage=Usage())
        request = missing_texts(request, missing)
        result = await service.embed(endpoint, request)
        if await service.vector_engine(endpoint) == space.engine:  # an engine switch mid-call: keep nothing
            packed = self._pack(space.model, [(key, v) for (_, key), v in zip(missing, result.embeddings, strict=True)])
            await self._store(packed, owner=endpoint.inference_id)
        return result

    def _pack(self, model: str, items: list[tuple[str, list[float]]]) -> list[tuple[str, bytes]]:
        """Packed vectors; a model whose vectors were not float32 (a remote server's JSON decimals) is
        not checked again: float64 at once, bit for bit all the same, the check being most of a miss's CPU."""
        if model in self._wide:
            return [(key, pack_wide(v)) for key, v in items]
        packed = [(key, pack(v)) for key, v in items]
        if packed and packed[-1][1][:1] == WIDE:
            if len(self._wide) >= _REMEMBERED:
                self._wide.clear()
            self._wide.add(model)
        return packed

    async def _store(self, items: list[tuple[str, bytes]], *, owner: str) -> None:
        if self.cache is not None:
            await self.cache.put_many(items, owner=owner)


def _space(model: str, engine: str, *, endpoint: Endpoint, request: EmbedRequest) -> VectorSpace:
    """The request's vector space; one object per space without task settings (nearly all), reused."""
    dimensions = endpoint.service_settings.get("dimensions")
    input_type = request.input_type.value if request.input_type else None
    if request.task_settings:
        return _new_space(model, engine, request.normalize, dimensions, input_type, request.task_settings)
    plain = (model, engine, request.normalize, dimensions, input_type)
    space = _SPACES.get(plain)
    if space is None:
        if len(_SPACES) >= _REMEMBERED:
            _SPACES.clear()
        space = _SPACES[plain] = _new_space(*plain, {})
    return space


def _new_space(
    model: str,
    engine: str,
    normalize: bool,
    dimensions: int | None,
    input_type: str | None,
    task_settings: Mapping[str, Any],
) -> VectorSpace:
    return VectorSpace(
        model=model,
        engine=engine,
        normalize=normalize,
        dimensions=dimensions,
        input_type=input_type,
        task_settings=task_settings,
    )


def _assemble(
    keys: Sequence[str], found: Sequence[bytes | None], *, missing: list[tuple[int, str]], fresh: list[list[float]]
) -> list[list[float]]:
    """Every text's vector in order: computed ones as the service gave them, cached ones unpacked."""
    if len(missing) == len(keys):
        return fresh
    computed = {key: vector for (_, key), vector in zip(missing, fresh, strict=True)}
    return [computed[key] if value is None else unpack(value) for key, value in zip(keys, found, strict=True)]
