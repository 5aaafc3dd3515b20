"""feature-extraction: the request body, the answer's many shapes, batching and HTTP 413.

Answers differ by backend: TEI gives 2-D ``[[f]]``, the legacy sentence-transformers backend 1-D for
one string, some servers ``{"embeddings": [[f]]}`` or OpenAI's ``{"data": [{"embedding"}]}``, and a
raw transformers pipeline 3-D per-token ``[batch][tokens][dim]``, which is mean-pooled here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from hfgate.errors import UpstreamBadRequestError
from hfgate.upstream.wire.common import WireFormatError

DEFAULT_BATCH_SIZE = 20
CHARS_PER_TOKEN = 3

Vectors = list[list[float]]
R = TypeVar("R")  # one input's answer: a dense vector, or a sparse one
In = TypeVar("In")  # one input: a text, or an image


def embeddings_payload(texts: Sequence[str], *, normalize: bool = True) -> dict[str, Any]:
    """The body Elasticsearch sends: exactly ``{"inputs": [...]}``; with ``normalize=False``, TEI's and
    the hosted feature-extraction's ``"normalize": false`` too (the pooled vectors, not unit ones)."""
    return {"inputs": list(texts)} if normalize else {"inputs": list(texts), "normalize": False}


def parse_embeddings(body: Any, *, count: int) -> Vectors:
    """One vector per input from any known answer shape.

    Raises:
        WireFormatError: not a known shape, or not ``count`` vectors.

    Example:
        >>> parse_embeddings([[[1.0, 2.0], [3.0, 4.0]]], count=1)
        [[2.0, 3.0]]
    """
    rows = _rows(body)
    if rows and _is_number(rows[0]):
        rows = [rows]  # 1-D: a single input's vector
    if len(rows) != count:
        raise WireFormatError(f"expected [{count}] embeddings, got [{len(rows)}]")
    return [_vector(row) for row in rows]


def _rows(body: Any) -> list[Any]:
    if isinstance(body, dict):
        if isinstance(body.get("embeddings"), list):
            return list(body["embeddings"])
        if isinstance(body.get("data"), list):
            ordered = sorted(body["data"], key=lambda item: item.get("index", 0))
            return [item.get("embedding") for item in ordered]
    if isinstance(body, list):
        return body
    raise WireFormatError(f"expected a list of embeddings, got [{type(body).__name__}]")


def _vector(row: Any) -> list[float]:
    if not isinstance(row, list) or not row:
        raise WireFormatError("an embedding is not a non-empty list of numbers")
    if _is_number(row[0]):
        return row
    if isinstance(row[0], list) and row[0] and _is_number(row[0][0]):
        return _mean_pool(row)
    raise WireFormatError("an embedding is not a list of numbers (nor of per-token vectors)")


def _mean_pool(tokens: list[list[float]]) -> list[float]:
    """Mean over the token axis of ``[tokens][dim]``, as Dify does for token-level answers."""
    count = len(tokens)
    return [sum(column) / count for column in zip(*tokens, strict=True)]


def _is_number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def cut_to_tokens(texts: Sequence[str], max_input_tokens: int | None) -> list[str]:
    """Inputs cut to ``max_input_tokens`` x 3 characters, as Elasticsearch does before sending."""
    if max_input_tokens is None:
        return list(texts)
    limit = max_input_tokens * CHARS_PER_TOKEN
    return [text[:limit] for text in texts]


async def embed_in_batches(
    send: Callable[[list[In]], Awaitable[list[R]]], inputs: Sequence[In], *, batch_size: int
) -> list[R]:
    """Embed ``inputs`` (texts, or images) in batches of at most ``batch_size``, concurrently, in input order.

    A batch refused with HTTP 413 is halved and each half resent; a single text still too large is cut
    by half until it fits (a single image is not: its 413 is the answer).

    Raises:
        UpstreamError: a batch failed for another reason (the other batches are cancelled).
    """
    batches = [list(inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)]
    if len(batches) == 1:
        return await _fitting(send, batches[0])
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_fitting(send, batch)) for batch in batches]
    return [vector for task in tasks for vector in task.result()]


async def _fitting(send: Callable[[list[In]], Awaitable[list[R]]], batch: list[In]) -> list[R]:
    try:
        return await send(batch)
    except UpstreamBadRequestError as exc:
        if exc.status != 413:
            raise
        if len(batch) > 1:
            middle = len(batch) // 2
            return await _fitting(send, batch[:middle]) + await _fitting(send, batch[middle:])
        only: object = batch[0]
        if not isinstance(only, str) or len(only) < 2:
            raise
        shorter: Any = only[: len(only) // 2]
        return await _fitting(send, [shorter])
