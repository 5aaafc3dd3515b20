"""Where each input is cut, kept beside its vectors: an unchanged document is not chunked again.

A chunked request (the Elasticsearch face's ``"chunked": true``, ``embed-corpus``) spends more CPU
cutting a document into sentences than looking its chunks up; so the spans of each input are cached
too, under the endpoint's model (removed with its vectors) and its chunking settings, as int32 pairs.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from hfgate.embed_cache import EmbedCache, VectorSpace, text_keys
from hfgate.orchestrator.chunked import split_inputs
from hfgate.registry.endpoint import Endpoint

Spans = list[tuple[int, int]]
_KIND = "chunk-spans"


async def cached_spans(cache: EmbedCache, *, model: str, endpoint: Endpoint, texts: Sequence[str]) -> list[Spans]:
    """Each text's chunk offsets by the endpoint's chunking settings, from the cache where it has them."""
    space = VectorSpace(model=model, engine=_KIND, task_settings=endpoint.chunking_settings or {})
    keys = text_keys(space, texts)
    found = await cache.get_many(keys)
    missing = [i for i, value in enumerate(found) if value is None]
    computed = split_inputs(endpoint, [texts[i] for i in missing]) if missing else []
    if missing:
        packed = [(keys[i], _pack(spans)) for i, spans in zip(missing, computed, strict=True)]
        await cache.put_many(packed, owner=endpoint.inference_id)
    fresh = dict(zip(missing, computed, strict=True))
    return [fresh[i] if value is None else _unpack(value) for i, value in enumerate(found)]


def _pack(spans: Spans) -> bytes:
    return array("i", [n for span in spans for n in span]).tobytes()


def _unpack(data: bytes) -> Spans:
    flat = array("i")
    flat.frombytes(data)
    pairs = iter(flat.tolist())
    return list(zip(pairs, pairs))  # noqa: B905  # the same iterator twice: start, end, start, end…
