"""Where each input is cut, kept beside its vectors: an unchanged document is not chunked again.

A chunked request (the Elasticsearch face's ``"chunked": true``, ``embed-corpus``) spends more CPU
cutting a document into sentences than looking its chunks up; so the spans of each input are cached
too, under the endpoint's model (removed with its vectors) and its chunking settings, as int32 pairs.
They take the same read-through as vectors, computed by the chunker instead of a service, and are not
counted as the request's hits or misses.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import cast

from hfgate.embed_cache import EmbedCache, VectorSpace, text_keys
from hfgate.orchestrator.cache.read_through import Compute, entries, read_through
from hfgate.orchestrator.chunked import split_inputs
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import Usage

Spans = list[tuple[int, int]]
_KIND = "chunk-spans"


class SpanCodec:
    """A text's spans as int32 pairs."""

    def pack(self, model: str, keys: Sequence[str], values: Sequence[Spans | None]) -> list[tuple[str, bytes]]:
        return [
            (key, array("i", [n for span in spans for n in span]).tobytes()) for key, spans in entries(keys, values)
        ]

    def unpack(self, data: bytes) -> Spans:
        flat = array("i")
        flat.frombytes(data)
        pairs = iter(flat.tolist())
        return list(zip(pairs, pairs))  # noqa: B905  # the same iterator twice: start, end, start, end…


SPANS = SpanCodec()


async def cached_spans(
    cache: EmbedCache,
    *,
    model: str,
    endpoint: Endpoint,
    texts: Sequence[str],
    asked: tuple[list[str], list[bytes | None]] | None = None,
) -> list[Spans]:
    """Each text's chunk offsets by the endpoint's chunking settings, from the cache where it has them
    (``asked``: the :func:`span_keys` and the cache's answer for them, when the caller asked already),
    the others cut and stored."""
    keys, found = asked if asked is not None else (span_keys(model, endpoint, texts), None)
    filled = await read_through(
        cache, SPANS, model=model, keys=keys, compute=_cutter(endpoint, texts), owner=endpoint.inference_id, found=found
    )
    return list(cast(Sequence[Spans], filled.values))  # the chunker cuts every text: no entry is None


def span_keys(model: str, endpoint: Endpoint, texts: Sequence[str]) -> list[str]:
    """One key per text, in a space of the model and the endpoint's chunking settings."""
    return text_keys(VectorSpace(model=model, engine=_KIND, task_settings=endpoint.chunking_settings or {}), texts)


def _cutter(endpoint: Endpoint, texts: Sequence[str]) -> Compute[Spans]:
    async def cut(places: list[int]) -> tuple[list[Spans], Usage]:
        return split_inputs(endpoint, [texts[i] for i in places]), Usage()

    return cut
