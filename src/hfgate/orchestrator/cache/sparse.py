"""Sparse vectors through the cache, as dense vectors go: one entry per text and model version.

What is kept is the model's answer before its ids are named (``{vocabulary id: weight}``,
:mod:`hfgate.embed_cache.sparse_rows`); the names are given at each answer, cached or not, so a cached
vector is the fresh one bit for bit even when the tokenizer that names them came or went meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from hfgate.embed_cache import VectorSpace, text_keys
from hfgate.embed_cache.sparse_rows import pack_sparse, unpack_sparse
from hfgate.orchestrator.cache.dense import only_texts
from hfgate.orchestrator.cache.read_through import Filled, entries
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model
from hfgate.tasks import EmbedRequest, SparseWeights, Usage

Row = dict[int, float]


class SparseVectors:
    """A service's ``sparse_weights`` (TEI's ``/embed_sparse``), as a
    :class:`~hfgate.orchestrator.cache.read_through.Kind`."""

    async def direct(self, model: Model, request: EmbedRequest) -> SparseWeights:
        return await model.sparse_weights(request)

    def space(self, model: str, engine: str, endpoint: Endpoint, request: EmbedRequest) -> VectorSpace:
        return VectorSpace(
            model=model,
            engine=engine,
            normalize=request.normalize,
            input_type=request.input_type.value if request.input_type else None,
            task_settings=request.task_settings,
        )

    def keys(self, space: VectorSpace, request: EmbedRequest) -> list[str]:
        return text_keys(space, request.texts)

    async def compute(
        self, model: Model, request: EmbedRequest, places: list[int]
    ) -> tuple[Sequence[Row | None], Usage]:
        result = await model.sparse_weights(only_texts(request, places))
        return result.weights, result.usage

    def pack(self, model: str, keys: Sequence[str], values: Sequence[Row | None]) -> list[tuple[str, bytes]]:
        return [(key, pack_sparse(row)) for key, row in entries(keys, values)]

    def unpack(self, data: bytes) -> Row:
        return unpack_sparse(data)

    def answer(self, endpoint: Endpoint, request: EmbedRequest, filled: Filled[Row]) -> SparseWeights:
        # a service gives every text's row: no entry is None
        return SparseWeights(weights=list(cast(Sequence[Row], filled.values)), usage=filled.usage)
