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
    keys = _span_keys(model, endpoint, texts)
    return await _offsets(cache, endpoint, texts, keys=keys, found=await cache.get_many(keys))


async def spans_and_vectors(
    cache: EmbedCache, *, space: VectorSpace, endpoint: Endpoint, texts: Sequence[str]
) -> tuple[list[Spans], list[bytes | None]]:
    """Each text's chunk offsets, and the packed vector of every chunk (texts after each other; ``None``
    where the cache lacks it), looked up without keeping the shared tier's entries in memory.

    A text that is one chunk of itself (a short document) is one lookup: its offsets and its own
    vector are asked together, in one call to the cache; the chunks of the other texts in a second.
    """
    span_keys = _span_keys(space.model, endpoint, texts)
    found = await cache.get_many(span_keys + text_keys(space, texts), keep=False)
    offsets = await _offsets(cache, endpoint, texts, keys=span_keys, found=found[: len(texts)])
    vectors: list[bytes | None] = []
    later: list[tuple[int, str]] = []  # a chunk's place in ``vectors``, and its text
    for text, spans, whole in zip(texts, offsets, found[len(texts) :], strict=True):
        if len(spans) == 1 and spans[0] == (0, len(text)):
            vectors.append(whole)
            continue
        for a, b in spans:
            later.append((len(vectors), text[a:b]))
            vectors.append(None)
    if later:
        more = await cache.get_many(text_keys(space, [piece for _, piece in later]), keep=False)
        for (place, _), value in zip(later, more, strict=True):
            vectors[place] = value
    return offsets, vectors


def _span_keys(model: str, endpoint: Endpoint, texts: Sequence[str]) -> list[str]:
    return text_keys(VectorSpace(model=model, engine=_KIND, task_settings=endpoint.chunking_settings or {}), texts)


async def _offsets(
    cache: EmbedCache, endpoint: Endpoint, texts: Sequence[str], *, keys: list[str], found: list[bytes | None]
) -> list[Spans]:
    """The offsets ``found`` in the cache unpacked, the others computed and stored."""
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
