"""Embedding a part's rows through the endpoint, exactly as ``"chunked": true`` does.

Rows go to :meth:`Orchestrator.embed_chunked` in batches, several batches in flight so that a local
model's dynamic batching stays full and a remote endpoint's rate limit is the only brake. A batch
refused for its content (a 4xx) is retried row by row, so the one bad row is rejected with the
service's reason and the others are embedded; any other failure stops the job, which can resume.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hfgate.corpus.rows import Reject, Row
from hfgate.corpus.writer import ChunkRow
from hfgate.embed_cache.vectors import as_array
from hfgate.errors import HfGateError
from hfgate.orchestrator import Orchestrator
from hfgate.orchestrator.cache import StoredChunk
from hfgate.orchestrator.chunked import ChunkedInput
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import EmbedRequest

BATCH_SECONDS = 300.0
"""The deadline of one batch: a job's batches are large and queue behind each other, unlike a request's inputs."""


@dataclass(slots=True)
class Embedded:
    """What embedding some rows gave: their chunks, the rows refused, and the tokens read."""

    chunks: list[ChunkRow]
    rejects: list[Reject]
    tokens: int = 0


class PartEmbedder:
    """Embeds rows through one endpoint with bounded concurrency."""

    def __init__(self, orchestrator: Orchestrator, endpoint: Endpoint, *, batch_texts: int, concurrency: int) -> None:
        self._orchestrator = orchestrator
        self.endpoint = endpoint
        self._batch_texts = batch_texts
        self._slots = asyncio.Semaphore(concurrency)
        # One part's cache lookup at a time: two parts' lookups at once share the CPU and the cache's
        # file, and both parts' calls would wait for both; one after the other, the first part's calls
        # go out as soon as its own lookup is done, and the next part is looked up while they wait.
        self._lookup = asyncio.Lock()

    async def embed(self, rows: Sequence[Row], *, source: str) -> Embedded:
        """Every chunk of every row, in the rows' order. Rows whose chunks the embedding cache holds
        are taken from it first, so the batches sent hold only rows that changed (full batches)."""
        async with self._lookup:
            cached = await self._orchestrator.cached_chunked(self.endpoint, _request(rows))
        todo = [row for row, found in zip(rows, cached, strict=True) if found is None]
        batches = [todo[i : i + self._batch_texts] for i in range(0, len(todo), self._batch_texts)]
        done = await asyncio.gather(*(self._batch(batch, source=source) for batch in batches))
        computed = deque(c for d in done for c in d.chunks)
        chunks = [
            c
            for row, found in zip(rows, cached, strict=True)
            for c in (_take(computed, row) if found is None else _stored_rows_of(row, found))
        ]
        return Embedded(
            chunks=chunks,
            rejects=[r for d in done for r in d.rejects],
            tokens=sum(d.tokens for d in done),
        )

    async def _batch(self, rows: Sequence[Row], *, source: str) -> Embedded:
        async with self._slots:
            try:
                return await self._call(rows)
            except HfGateError as exc:
                if exc.status >= 500 or exc.status in (401, 403, 408, 429):
                    raise
                if len(rows) == 1:
                    return Embedded([], [Reject(id=rows[0].id, source=source, reason=exc.reason)])
        singles = await asyncio.gather(*(self._batch([row], source=source) for row in rows))
        return Embedded(
            [c for s in singles for c in s.chunks],
            [r for s in singles for r in s.rejects],
            sum(s.tokens for s in singles),
        )

    async def _call(self, rows: Sequence[Row]) -> Embedded:
        async with self._orchestrator.deadline(self.endpoint.task_type, asked=BATCH_SECONDS):
            result = await self._orchestrator.embed_chunked(self.endpoint, _request(rows))
        chunks = [c for row, pieces in zip(rows, result.inputs, strict=True) for c in _rows_of(row, pieces)]
        return Embedded(chunks, [], result.usage.prompt_tokens)


def _request(rows: Sequence[Row]) -> EmbedRequest:
    return EmbedRequest(texts=tuple(row.text for row in rows))


def _rows_of(row: Row, pieces: ChunkedInput) -> list[ChunkRow]:
    return [
        ChunkRow(id=row.id, chunk=n, start_offset=c.start, end_offset=c.end, text=c.text,
                 embedding=np.asarray(c.embedding, dtype=np.float32))
        for n, c in enumerate(pieces)
    ]  # fmt: skip


def _stored_rows_of(row: Row, pieces: list[StoredChunk]) -> list[ChunkRow]:
    return [
        ChunkRow(id=row.id, chunk=n, start_offset=c.start, end_offset=c.end, text=c.text,
                 embedding=as_array(c.packed))
        for n, c in enumerate(pieces)
    ]  # fmt: skip


def _take(computed: deque[ChunkRow], row: Row) -> list[ChunkRow]:
    """``row``'s chunks from the front of ``computed`` (the computed rows' chunks, in row order; a
    rejected row has none): chunk 0 with its id, then the chunks that follow it."""
    taken: list[ChunkRow] = []
    while computed and computed[0].id == row.id and (not taken or computed[0].chunk > 0):
        taken.append(computed.popleft())
    return taken
