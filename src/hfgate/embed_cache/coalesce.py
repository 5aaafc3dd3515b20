"""Requests that reach the shared tier in the same event-loop turn share one call to it: one Redis
``MGET`` for all their lookups (the disk file's small lookups are not joined: ``join_lookups``), one
pipeline (or one transaction of the disk tier) for all their writes. Under load this divides the tier's round
trips, and their CPU, by the requests in flight; alone, a request waits one loop turn more.

Writes go one call at a time (group commit): those that come while one is in flight are sent together
when it ends, rather than each turn's writes in a worker thread of their own, queued on the disk tier's
one writer connection (docs/benchmarks/embedding-cache.md).

With ``write_delay`` (the disk file's), a write is not waited for: it is kept, and sent with every
other one that comes within ``write_delay`` seconds, so that under load one write carries many
requests' vectors. This process's own lookups do not need it (its memory tier has the vectors at
once); other processes see them ``write_delay`` later. ``drop_prefix`` forgets the kept writes of the
prefix it removes, and waits for a write in flight to end before it removes the prefix (else that write
could land after it and serve a deleted endpoint's entries again); ``aclose`` sends what is kept before
closing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from hfgate.embed_cache.shared_tier import SharedTier

_Get = tuple[Sequence[str], asyncio.Future[list[bytes | None]]]
_Put = tuple[Sequence[tuple[str, bytes]], asyncio.Future[None] | None]  # no future: not waited for
# Kept writes past this many vectors make the next writer wait (a corpus job faster than the file).
_MAX_KEPT = 4096


class Coalescing:
    """A shared tier whose calls of one loop turn are sent as one.

    Args:
        tier: the Redis or disk tier.
        write_delay: seconds a write may be kept to go with others, not waited for; ``None``: every
            write is waited for and sent at once (Redis: other replicas read it at once).
        join_lookups: whether one turn's lookups go as one call (Redis: a round trip each); the disk
            file's small lookups are read at once on the caller's thread, and joining them only added a
            suspension of each request and released the turn's requests upstream all at once.
    """

    def __init__(self, tier: SharedTier, *, write_delay: float | None = None, join_lookups: bool = True) -> None:
        self.tier = tier
        self.name = tier.name
        # the tier's lookup on the caller's thread, for a cache to call without a coroutine, when not joined
        self.get_now: Callable[[Sequence[str]], list[bytes | None] | None] | None = (
            None if join_lookups else getattr(tier, "get_now", None)
        )
        self.write_delay = write_delay
        self.join_lookups = join_lookups
        self._gets: list[_Get] = []
        self._puts: list[_Put] = []
        self._kept = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._writing = False
        self._scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        # held by a write to the tier and by a prefix's removal: neither overtakes the other
        self._order = asyncio.Lock()

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not self.join_lookups:
            return await self.tier.get_many(keys)
        future: asyncio.Future[list[bytes | None]] = asyncio.get_running_loop().create_future()
        if not self._gets:
            self._soon(self._send_gets)
        self._gets.append((keys, future))
        return await future

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        if self.write_delay is not None and self._kept + len(items) <= _MAX_KEPT:
            self._puts.append((items, None))
            self._kept += len(items)
            if not (self._writing or self._scheduled or self._timer):
                self._timer = asyncio.get_running_loop().call_later(self.write_delay, self._send_soon)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._puts.append((items, future))
        if not (self._writing or self._scheduled):  # else the write in flight sends these after it
            self._send_soon()
        await future

    async def drop_prefix(self, prefix: str) -> int:
        async with self._order:  # after the write in flight, which may hold entries of the prefix
            # kept writes of the removed entries must not write them back afterwards
            self._puts = [
                ([item for item in items if not item[0].startswith(prefix)], future) for items, future in self._puts
            ]
            return await self.tier.drop_prefix(prefix)

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await asyncio.gather(*self._tasks, return_exceptions=True)  # a write in flight sends the rest
        if self._puts:
            await self._send_puts()
        await self.tier.aclose()

    def _soon(self, send: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.get_running_loop().call_soon(self._start, send)

    def _send_soon(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._scheduled = True
        self._soon(self._send_puts)

    def _start(self, send: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = asyncio.get_running_loop().create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_gets(self) -> None:
        batch, self._gets = self._gets, []
        try:
            found = await self.tier.get_many([key for keys, _ in batch for key in keys])
        except BaseException as exc:  # the tiers catch their own failures; anything else goes to the callers
            _fail([future for _, future in batch], exc)
            raise
        position = 0
        for keys, future in batch:
            if not future.done():
                future.set_result(found[position : position + len(keys)])
            position += len(keys)

    async def _send_puts(self) -> None:
        self._scheduled = False
        if self._writing:  # the write in flight sends these after it
            return
        self._writing = True
        try:
            while self._puts:
                async with self._order:  # a prefix's removal waited for may take entries out of the batch
                    batch, self._puts, self._kept = self._puts, [], 0
                    try:
                        await self.tier.put_many([item for items, _ in batch for item in items])
                    except BaseException as exc:
                        _fail([future for _, future in batch], exc)
                        raise
                for _, future in batch:
                    if future is not None and not future.done():
                        future.set_result(None)
        finally:
            self._writing = False
            if self._puts:  # left by a failure or a cancellation: their own call
                self._send_soon()


def _fail(futures: Sequence[asyncio.Future[Any] | None], exc: BaseException) -> None:
    for future in futures:
        if future is not None and not future.done():
            future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("the cache call was cancelled"))
