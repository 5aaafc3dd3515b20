"""A small pub/sub of "what changed" between replicas, so that caches forget at once.

A change is a topic (``endpoint``, ``api_key``…) and a key (an inference id…). A replica that writes
publishes the change; every replica (itself included) hands it to the callbacks subscribed to the
topic. Caches keep their TTL as a safety net: a missed message costs at most one TTL of staleness.

- :class:`LocalChanges`: one process (SQLite): callbacks run at once.
- :class:`PostgresChanges`: PostgreSQL ``LISTEN/NOTIFY`` on one channel, a dedicated connection per
  replica; after a lost connection it reconnects and tells every subscriber ``key="*"`` (forget all),
  since changes may have been missed meanwhile.

Example:
    >>> changes = PostgresChanges("postgresql://postgres@127.0.0.1/hfgate")
    >>> changes.subscribe("api_key", lambda key: revoked.discard(key))
    >>> # await changes.start(); await changes.publish("api_key", "k-123")
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable

import orjson
import psycopg
from psycopg import sql

log = logging.getLogger("hfgate.fleet")

Callback = Callable[[str], Awaitable[None] | None]
EVERYTHING = "*"


class LocalChanges:
    """Changes within one process: subscribers are called when a change is published."""

    def __init__(self) -> None:
        self._subscribers: defaultdict[str, list[Callback]] = defaultdict(list)

    def subscribe(self, topic: str, callback: Callback) -> None:
        """Call ``callback(key)`` for every change of ``topic`` (``key`` may be ``"*"``: everything)."""
        self._subscribers[topic].append(callback)

    async def publish(self, topic: str, key: str) -> None:
        """Tell every replica that ``key`` of ``topic`` changed."""
        await self.deliver(topic, key)

    async def deliver(self, topic: str, key: str) -> None:
        for callback in self._subscribers[topic]:
            try:
                result = callback(key)
                if result is not None:
                    await result
            except Exception:  # one broken cache must not stop the others from forgetting
                log.exception("change subscriber failed", extra={"event": "fleet.change.error", "topic": topic})

    async def start(self) -> None:
        """Begin receiving other replicas' changes (nothing to receive in one process)."""

    async def aclose(self) -> None:
        """Stop receiving."""


class PostgresChanges(LocalChanges):
    """Changes between replicas sharing a PostgreSQL database, through ``LISTEN/NOTIFY``.

    Args:
        url: the database (``postgresql://`` or ``postgresql+psycopg://``).
        channel: the notification channel.
    """

    def __init__(self, url: str, *, channel: str = "hfgate_changes") -> None:
        super().__init__()
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.channel = channel
        self.origin = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self) -> None:
        """Listen in the background; returns once listening (or after 5 s if the database is slow)."""
        self._task = asyncio.create_task(self._listen_forever())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout=5)

    async def publish(self, topic: str, key: str) -> None:
        """Notify every replica, this one included (delivered through the database like the others')."""
        payload = orjson.dumps({"topic": topic, "key": key, "origin": self.origin}).decode()
        try:
            async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                await conn.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
        except psycopg.Error as exc:  # the write itself succeeded: others catch up within their TTL
            log.warning("change not published", extra={"event": "fleet.change.lost", "error": str(exc)})
            await self.deliver(topic, key)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen_forever(self) -> None:
        first = True
        while True:
            try:
                await self._listen(missed=not first)
            except (psycopg.Error, OSError) as exc:
                log.warning("change feed lost; reconnecting", extra={"event": "fleet.change.down", "error": str(exc)})
            first = False
            self._listening.clear()
            await asyncio.sleep(1.0)

    async def _listen(self, *, missed: bool) -> None:
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self._listening.set()
            if missed:
                for topic in list(self._subscribers):
                    await self.deliver(topic, EVERYTHING)
            async for notify in conn.notifies():
                message = orjson.loads(notify.payload)
                await self.deliver(str(message["topic"]), str(message["key"]))
