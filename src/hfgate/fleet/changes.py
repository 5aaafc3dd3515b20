"""A small pub/sub of "what changed" between replicas, so that caches forget at once.

A change is a topic (``endpoint``, ``api_key``…) and a key (an inference id…). A replica that writes
publishes the change; every replica (itself included) hands it to the callbacks subscribed to the
topic. Caches keep their TTL as a safety net: a missed message costs at most one TTL of staleness.

- :class:`LocalChanges`: one process (SQLite): callbacks run at once.
- :class:`PostgresChanges`: PostgreSQL ``LISTEN/NOTIFY`` on one channel, a dedicated connection per
  replica (used whenever the registry is on PostgreSQL: the news travels with the data);
- :class:`~hfgate.fleet.redis_changes.RedisChanges`: Redis pub/sub (replicas on SQLite with Redis,
  e.g. ``--workers`` on one machine).

Both are a :class:`RemoteChanges`: after a lost connection it reconnects and tells every subscriber
``key="*"`` (forget all), since changes may have been missed meanwhile.

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


class RemoteChanges(LocalChanges):
    """Changes received from other replicas by a background listener that reconnects when cut off."""

    def __init__(self) -> None:
        super().__init__()
        self.origin = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self) -> None:
        """Listen in the background; returns once listening (or after 5 s if the server is slow)."""
        self._task = asyncio.create_task(self._listen_forever())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout=5)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def payload(self, topic: str, key: str) -> str:
        return orjson.dumps({"topic": topic, "key": key, "origin": self.origin}).decode()

    async def receive(self, payload: bytes | str) -> None:
        message = orjson.loads(payload)
        await self.deliver(str(message["topic"]), str(message["key"]))

    async def listening(self, *, missed: bool) -> None:
        """Called by ``_listen`` once subscribed: after a reconnection, every cache forgets all."""
        self._listening.set()
        if missed:
            for topic in list(self._subscribers):
                await self.deliver(topic, EVERYTHING)

    async def _listen(self, *, missed: bool) -> None:
        raise NotImplementedError

    async def _listen_forever(self) -> None:
        first = True
        while True:
            try:
                await self._listen(missed=not first)
            except Exception as exc:  # the server went away: reconnect, never give up
                log.warning("change feed lost; reconnecting", extra={"event": "fleet.change.down", "error": str(exc)})
            first = False
            self._listening.clear()
            await asyncio.sleep(1.0)


class PostgresChanges(RemoteChanges):
    """Changes between replicas sharing a PostgreSQL database, through ``LISTEN/NOTIFY``.

    Args:
        url: the database (``postgresql://`` or ``postgresql+psycopg://``).
        channel: the notification channel.
    """

    def __init__(self, url: str, *, channel: str = "hfgate_changes") -> None:
        super().__init__()
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.channel = channel

    async def publish(self, topic: str, key: str) -> None:
        """Notify every replica, this one included (delivered through the database like the others')."""
        import psycopg  # here, not at the top: a server on SQLite never loads it (a third of a second)

        try:
            async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                await conn.execute("SELECT pg_notify(%s, %s)", (self.channel, self.payload(topic, key)))
        except psycopg.Error as exc:  # the write itself succeeded: others catch up within their TTL
            log.warning("change not published", extra={"event": "fleet.change.lost", "error": str(exc)})
            await self.deliver(topic, key)

    async def _listen(self, *, missed: bool) -> None:
        import psycopg
        from psycopg import sql

        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            await self.listening(missed=missed)
            async for notify in conn.notifies():
                await self.receive(notify.payload)
