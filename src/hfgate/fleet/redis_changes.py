"""The change feed over Redis pub/sub, for replicas that share Redis but not PostgreSQL's notifications.

Example:
    >>> changes = RedisChanges("redis://127.0.0.1:6379/0", channel="hfgate:changes")
    >>> # await changes.start(); await changes.publish("endpoint", "my-endpoint")
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from hfgate.fleet.changes import RemoteChanges

log = logging.getLogger("hfgate.fleet")


class RedisChanges(RemoteChanges):
    """Changes between replicas through one Redis pub/sub channel.

    Args:
        url: the Redis server (``redis://host:port/db``).
        channel: the channel (the fleet's key prefix + ``changes``).
    """

    def __init__(self, url: str, *, channel: str) -> None:
        super().__init__()
        self.client = aioredis.Redis.from_url(url, socket_connect_timeout=1.0)
        self.channel = channel

    async def publish(self, topic: str, key: str) -> None:
        """Publish to every replica, this one included (it hears its own message like the others')."""
        try:
            await self.client.publish(self.channel, self.payload(topic, key))
        except (RedisError, OSError) as exc:  # the write itself succeeded: others catch up within their TTL
            log.warning("change not published", extra={"event": "fleet.change.lost", "error": str(exc)})
            await self.deliver(topic, key)

    async def aclose(self) -> None:
        await super().aclose()
        await self.client.aclose()

    async def _listen(self, *, missed: bool) -> None:
        async with self.client.pubsub() as pubsub:
            await pubsub.subscribe(self.channel)
            await self.listening(missed=missed)
            async for message in pubsub.listen():
                if message["type"] == "message":
                    await self.receive(message["data"])
