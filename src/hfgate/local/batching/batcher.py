"""The batching loop: a bounded queue of texts, drained into length-sorted, token-bounded passes.

Before each forward pass, every text waiting (from any request) is sorted by length and cut into
batches (``pack_by_length``); the batch holding the oldest waiting text runs, and the rest wait for
the next pass together with whatever arrived meanwhile. So passes stay full while requests keep
arriving (no lock-step rounds), texts of similar length share a pass (little padding), and requests
are served oldest first. Each pass is one call of ``run_batch`` (one step on the compute thread) and
each result goes back to the request it came from. A request cancelled while waiting leaves the
queue; one cancelled mid-pass simply gets no result, and its batch mates are not disturbed.

Batch lines yield to interactive requests (``priority``): work submitted under ``priority.BACKGROUND`` (a
batch line's) is background. While an interactive text waits, the pass is the one around the oldest
interactive text, and background texts only fill room left in it (never a longer text, never past the
limits); a background-only pass runs only when no interactive text waits; a background text that has waited
``background_age`` seconds counts as interactive. With no background work waiting the rule above is unchanged.

Every request submitted gets exactly one answer. A pass that raises is run again one text at a time:
the texts that compute are answered, and each that fails alone is answered a typed error, blamed on
its input when another text (or the last text that computed, as a probe) runs (``local/step_failure.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from hfgate.errors import OverloadedError
from hfgate.local.batching.job import Job
from hfgate.local.batching.limits import BatchLimits
from hfgate.local.batching.packing import pack_by_length
from hfgate.local.batching.priority import BACKGROUND, BACKGROUND_AGE_S, choose_pass
from hfgate.local.step_failure import Blame, step_error
from hfgate.telemetry.metrics import LOCAL_BATCH_SIZE, LOCAL_QUEUE_DEPTH, QUEUE_WAIT_SECONDS

log = logging.getLogger("hfgate.local")

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T, R]):
    """One text of one request."""

    job: Job[T, R]
    index: int

    @property
    def length(self) -> int:
        return self.job.lengths[self.index]


@dataclass(eq=False)
class _Lane(Generic[T, R]):
    """The queue and worker task of one event loop (tests run several loops, one after another)."""

    loop: asyncio.AbstractEventLoop
    entries: list[_Entry[T, R]] = field(default_factory=list)  # arrival order
    running: list[_Entry[T, R]] = field(default_factory=list)
    worker: asyncio.Task[None] | None = None
    stop_reason: str | None = None


class Batcher(Generic[T, R]):
    """Packs the items of concurrent requests into shared batches.

    Args:
        run_batch: computes one batch (the results in the order of the items); it should hand the
            work to the compute thread, so the event loop stays free.
        limits: batch and queue bounds.
        name: what the queue serves, for error messages and logs.
        engine: the engine that runs the next pass (named in errors).
        background_age: seconds after which a waiting background text counts as interactive.

    Example:
        >>> batcher = Batcher(run_batch=lambda xs: compute.run(model.forward, xs), limits=BatchLimits())
        >>> # vectors = await batcher.submit(encodings, lengths=[len(e.ids) for e in encodings])
    """

    def __init__(
        self,
        *,
        run_batch: Callable[[list[T]], Awaitable[Sequence[R]]],
        limits: BatchLimits,
        name: str,
        engine: Callable[[], str] = lambda: "local",
        background_age: float = BACKGROUND_AGE_S,
    ) -> None:
        self._run_batch = run_batch
        self._limits = limits
        self._name = name
        self._engine = engine
        self._background_age = background_age
        self._computed: list[T] = []  # the last item a pass computed: the probe after a pass fails alone
        self._lane: _Lane[T, R] | None = None
        self._depth = LOCAL_QUEUE_DEPTH(name)
        self._sizes = LOCAL_BATCH_SIZE(name)
        self._waits = QUEUE_WAIT_SECONDS("local", name)

    async def submit(self, items: Sequence[T], *, lengths: Sequence[int]) -> list[R]:
        """Queue ``items`` (with their token ``lengths``) and wait for their results, in order.

        Raises:
            OverloadedError: the queue cannot take this many more items (429).
        """
        if not items:
            return []
        lane = self._current_lane()
        self._admit(lane, len(items))
        job: Job[T, R] = Job(list(items), list(lengths), lane.loop.create_future(), BACKGROUND.get())
        lane.entries.extend(_Entry(job, i) for i in range(len(items)))
        self._depth.set(len(lane.entries))
        job.future.add_done_callback(lambda _: self._forget(lane, job))
        if lane.worker is None or lane.worker.done():
            lane.worker = lane.loop.create_task(self._drain(lane), name=f"hfgate-batcher-{self._name}")
        return await job.future

    @property
    def waiting(self) -> int:
        """Texts queued and not yet in a pass."""
        return len(self._lane.entries) if self._lane else 0

    def close(self, reason: str) -> None:
        """Stop batching; waiting requests fail with ``OverloadedError(reason)`` (they may retry)."""
        lane, self._lane = self._lane, None
        if lane is None or lane.loop.is_closed():
            return
        lane.loop.call_soon_threadsafe(self._stop, lane, reason)

    def _current_lane(self) -> _Lane[T, R]:
        loop = asyncio.get_running_loop()
        if self._lane is None or self._lane.loop is not loop:
            self._lane = _Lane(loop)
        return self._lane

    def _admit(self, lane: _Lane[T, R], count: int) -> None:
        waiting = len(lane.entries)
        if waiting and waiting + count > self._limits.queue_size:
            raise OverloadedError(
                f"The local model [{self._name}] is overloaded: [{waiting}] texts are waiting and the "
                f"queue holds [{self._limits.queue_size}] (HFGATE_LOCAL_QUEUE_SIZE); retry later"
            )

    def _forget(self, lane: _Lane[T, R], job: Job[T, R]) -> None:
        # Completed, cancelled or failed: whatever of it still waits must not be computed.
        lane.entries = [e for e in lane.entries if e.job is not job]

    async def _drain(self, lane: _Lane[T, R]) -> None:
        try:
            while lane.entries:
                lane.running = self._next_batch(lane)
                if lane.running:
                    await self._run(lane.running)
                lane.running = []
        except BaseException as exc:
            # Closed, the compute thread shut down, or a fault of the loop itself: nobody may be left waiting.
            error = self._stopped(exc, lane)
            for entry in [*lane.running, *lane.entries]:
                entry.job.fail(error)
            lane.entries, lane.running = [], []
            if not isinstance(exc, Exception):
                raise
            log.exception("batching failed", extra={"event": "batch.failed", "model": self._name})

    def _stopped(self, exc: BaseException, lane: _Lane[T, R]) -> Exception:
        if isinstance(exc, Exception):
            return step_error(exc, blame="engine", model=self._name, engine=self._engine())
        return OverloadedError(lane.stop_reason or f"The local model [{self._name}] stopped; retry")

    def _next_batch(self, lane: _Lane[T, R]) -> list[_Entry[T, R]]:
        """Take the length-sorted batch that holds the oldest waiting text out of the queue (with background
        work waiting: the oldest interactive text, ``priority.choose_pass``)."""
        limits = self._limits
        # A cancelled request's texts leave in a done-callback, which may not have run yet.
        lane.entries = [e for e in lane.entries if e.job.waiting]
        lengths = [e.length for e in lane.entries]
        if any(e.job.background for e in lane.entries):
            aged = time.perf_counter() - self._background_age
            urgent = [not e.job.background or e.job.queued_at <= aged for e in lane.entries]
            chosen = set(choose_pass(lengths, urgent, limits))
        else:
            batches = pack_by_length(
                lengths,
                max_tokens=limits.max_batch_tokens,
                max_size=limits.max_batch_size,
                pass_overhead=limits.pass_overhead_tokens,
            )
            chosen = set(next((b for b in batches if 0 in b), ()))
        batch = [e for i, e in enumerate(lane.entries) if i in chosen]
        lane.entries = [e for i, e in enumerate(lane.entries) if i not in chosen]
        self._depth.set(len(lane.entries))
        return batch

    async def _run(self, entries: list[_Entry[T, R]]) -> None:
        self._observe(entries)
        try:
            results = await self._pass([e.job.items[e.index] for e in entries])
        except Exception as exc:
            log.warning("batch failed", extra={"event": "batch.failed", "model": self._name, "error": repr(exc)})
            await self._isolate(entries, exc)
            return
        for entry, result in zip(entries, results, strict=True):
            entry.job.deliver(entry.index, result)

    async def _pass(self, items: list[T]) -> list[R]:
        results = list(await self._run_batch(items))
        if len(results) != len(items):
            raise RuntimeError(f"the engine returned [{len(results)}] results for [{len(items)}] texts")
        self._computed = items[-1:]
        return results

    async def _isolate(self, entries: list[_Entry[T, R]], exc: Exception) -> None:
        """Run a failed pass's texts again one at a time; answer each that fails alone."""
        # A text that was alone already would only fail again: the probe tells who is at fault.
        failed = [(entries[0], exc)] if len(entries) == 1 else await self._one_by_one(entries)
        if failed:
            blame = await self._blame(succeeded=len(failed) < len(entries))
            for entry, alone in failed:
                if entry.job.waiting:
                    entry.job.fail(step_error(alone, blame=blame, model=self._name, engine=self._engine()))

    async def _one_by_one(self, entries: list[_Entry[T, R]]) -> list[tuple[_Entry[T, R], Exception]]:
        failed: list[tuple[_Entry[T, R], Exception]] = []
        for entry in entries:
            if not entry.job.waiting:
                continue
            try:
                (result,) = await self._pass([entry.job.items[entry.index]])
            except Exception as alone:
                failed.append((entry, alone))
                continue
            entry.job.deliver(entry.index, result)
        return failed

    async def _blame(self, *, succeeded: bool) -> Blame:
        if succeeded:
            return "input"
        probe = self._computed
        if not probe:
            return "engine"
        try:
            await self._pass(probe)
        except Exception:
            return "engine"
        return "input"

    def _observe(self, entries: list[_Entry[T, R]]) -> None:
        """Batch size, and the queue wait of each request whose first text starts now."""
        self._sizes.observe(len(entries))
        now = time.perf_counter()
        for entry in entries:
            if entry.index == 0:
                self._waits.observe(now - entry.job.queued_at)

    def _stop(self, lane: _Lane[T, R], reason: str) -> None:
        lane.stop_reason = reason
        if lane.worker is not None and not lane.worker.done():
            lane.worker.cancel()
        for entry in lane.entries:
            entry.job.fail(OverloadedError(reason))
