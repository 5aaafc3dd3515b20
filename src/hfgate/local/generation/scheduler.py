"""Continuous batching: requests join a running decode batch between steps and leave when done.

One asyncio task per model drives the batch while it has work. Every prefill and every decode step is
one job on the shared compute thread, so an embedding request waits for at most one step, however long
the generations in flight; and the event loop stays free while a step computes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from hfgate.local.compute import Compute
from hfgate.local.generation.batch import DecodeBatch
from hfgate.local.generation.sequence import Sequence

log = logging.getLogger("hfgate.local")


class Scheduler:
    """Feeds one :class:`DecodeBatch` from a queue of sequences.

    Args:
        batch: the model's decode batch.
        compute: the thread where steps run.
        max_batch_size: rows decoded together; later requests wait for a free row.

    Example:
        >>> # scheduler = Scheduler(CausalBatch(model), compute=compute, max_batch_size=16)
        >>> # scheduler.submit(sequence); delta = await sequence.queue.get()
    """

    def __init__(self, batch: DecodeBatch, *, compute: Compute, max_batch_size: int) -> None:
        self._batch = batch
        self._compute = compute
        self._max = max_batch_size
        self._waiting: deque[Sequence] = deque()
        self._rows: list[Sequence] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> int:
        """Sequences decoding or waiting for a row."""
        return len(self._waiting) + sum(not s.done for s in self._rows)

    def submit(self, sequence: Sequence) -> None:
        """Queue ``sequence``; its deltas arrive on ``sequence.queue``."""
        self._waiting.append(sequence)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="hfgate-generation")

    async def aclose(self) -> None:
        """Stop decoding; sequences in flight end with an error."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        try:
            while True:
                if self._has_work():
                    await self._advance()
                    continue
                await self._compute.run(self._release)
                if not self._has_work():  # checked again: a request may have come during the release
                    return
        except BaseException as exc:
            self._fail_all(exc)
            if not isinstance(exc, Exception):
                raise
            log.exception("generation failed", extra={"event": "generation.error"})

    def _has_work(self) -> bool:
        return bool(self._waiting) or any(not s.done for s in self._rows)

    def _release(self) -> None:
        """Free the batch's cache once every row has finished."""
        if self._rows:
            self._batch.retain([])
            self._rows = []

    def _fail_all(self, exc: BaseException) -> None:
        error = exc if isinstance(exc, Exception) else RuntimeError("generation stopped")
        for sequence in [*self._rows, *self._waiting]:
            sequence.fail(error)
        self._waiting.clear()
        self._rows = []
        self._batch.retain([])

    async def _advance(self) -> None:
        keep = [i for i, s in enumerate(self._rows) if not s.done]
        rows = [self._rows[i] for i in keep]
        newcomers = self._take_waiting(self._max - len(rows))
        if newcomers:  # every request waiting for a row joins in one prefill pass
            tokens = await self._compute.run(self._admit, keep, newcomers)
            self._rows = [*rows, *newcomers]
            for sequence, token in zip(newcomers, tokens, strict=True):
                sequence.accept(token)
            return
        if not rows:
            return
        tokens = await self._compute.run(self._step, keep, rows)
        self._rows = rows
        for sequence, token in zip(rows, tokens, strict=True):
            sequence.accept(token)

    def _take_waiting(self, room: int) -> list[Sequence]:
        taken: list[Sequence] = []
        while self._waiting and len(taken) < room:
            sequence = self._waiting.popleft()
            if not sequence.done:
                taken.append(sequence)
        return taken

    def _admit(self, keep: list[int], newcomers: list[Sequence]) -> list[int]:
        self._retain(keep)
        logits: Any = self._batch.prefill([s.prompt_ids for s in newcomers])
        return [s.pick(logits[i], s.history) for i, s in enumerate(newcomers)]

    def _step(self, keep: list[int], rows: list[Sequence]) -> list[int]:
        self._retain(keep)
        logits: Any = self._batch.step([s.last_token for s in rows])
        return [s.pick(logits[i], s.history) for i, s in enumerate(rows)]

    def _retain(self, keep: list[int]) -> None:
        if len(keep) != len(self._rows):
            self._batch.retain(keep)
