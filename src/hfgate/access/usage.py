"""Usage accounting off the request path: each inference adds to an in-memory tally, written in batches.

:meth:`UsageRecorder.record` is a dictionary update (no I/O); a background task adds the tally to the
registry every ``flush_seconds`` (``HFGATE_USAGE_FLUSH_SECONDS``) and at shutdown, so a clean shutdown
loses nothing. A failed write keeps the tally for the next attempt.

Example:
    >>> recorder = UsageRecorder(store, flush_seconds=5)
    >>> recorder.record(key_id="k1", inference_id="e5", task_type="text_embedding", status=200,
    ...                 input_tokens=12, output_tokens=0, latency_ms=8.5)
    >>> # await recorder.start() … await recorder.aclose()  # flushes
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from hfgate.registry.usage_store import UsageRow, UsageStore

log = logging.getLogger("hfgate.keys")
ANONYMOUS = "-"  # the key id recorded when the gateway is open (no key configured)

_Slot = tuple[datetime, str, str, str, int]


class UsageRecorder:
    """Tallies usage per key × endpoint × task type × status × hour, and writes it in batches."""

    def __init__(self, store: UsageStore, *, flush_seconds: float) -> None:
        self._store = store
        self._every = flush_seconds
        self._tally: dict[_Slot, UsageRow] = {}
        self._task: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()

    def record(
        self, *, key_id: str, inference_id: str, task_type: str, status: int,
        input_tokens: int, output_tokens: int, latency_ms: float, cached_texts: int = 0, cost_micros: int = 0,
    ) -> None:  # fmt: skip
        """Count one call (no I/O)."""
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        slot = (hour, key_id, inference_id, task_type, status)
        row = self._tally.get(slot)
        if row is None:
            row = self._tally[slot] = UsageRow(
                hour=hour, key_id=key_id, inference_id=inference_id, task_type=task_type, status=status
            )
        row.requests += 1
        row.input_tokens += input_tokens
        row.output_tokens += output_tokens
        row.latency_ms_sum += latency_ms
        row.latency_ms_max = max(row.latency_ms_max, latency_ms)
        row.cached_texts += cached_texts
        row.cost_micros += cost_micros

    async def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever())

    async def flush(self) -> None:
        """Write the tally now (``/_usage`` does before reading, so this replica's calls show at once)."""
        async with self._writing:
            batch, self._tally = self._tally, {}
            if not batch:
                return
            try:
                await asyncio.to_thread(self._store.add, list(batch.values()))
            except Exception as exc:  # the database is away: keep the counts for the next attempt
                self._merge_back(batch)
                log.warning("usage not written; will retry", extra={"event": "usage.flush.error", "error": str(exc)})
                raise

    async def aclose(self) -> None:
        """Stop the background writer and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            with contextlib.suppress(Exception):
                await self.flush()

    def _merge_back(self, batch: dict[_Slot, UsageRow]) -> None:
        for slot, old in batch.items():
            row = self._tally.setdefault(slot, UsageRow(hour=old.hour, key_id=old.key_id,
                                                         inference_id=old.inference_id,
                                                         task_type=old.task_type, status=old.status))  # fmt: skip
            row.requests += old.requests
            row.input_tokens += old.input_tokens
            row.output_tokens += old.output_tokens
            row.latency_ms_sum += old.latency_ms_sum
            row.latency_ms_max = max(row.latency_ms_max, old.latency_ms_max)
            row.cached_texts += old.cached_texts
            row.cost_micros += old.cost_micros
