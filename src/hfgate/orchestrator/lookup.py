"""Endpoint look-ups for inference, served from memory for a short time.

Inference reads an endpoint on every call; a database round trip each time would cost more than the
rest of the gateway. Writes on any replica evict entries at once (through the change feed, see
:mod:`hfgate.fleet.changes`); ``registry_cache_seconds`` stays as the safety net should a message be lost.
"""

from __future__ import annotations

import asyncio
import time

from hfgate.registry.endpoint import Endpoint
from hfgate.registry.store import EndpointStore


class EndpointLookup:
    """Cached reads of the endpoint store."""

    def __init__(self, store: EndpointStore, *, ttl_seconds: float) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[float, Endpoint]] = {}

    async def get(self, inference_id: str) -> Endpoint:
        """The endpoint, from memory when fresh.

        Raises:
            EndpointNotFoundError: no such endpoint.
        """
        entry = self._entries.get(inference_id)
        now = time.monotonic()
        if entry is not None and now - entry[0] < self._ttl:
            return entry[1]
        endpoint = await asyncio.to_thread(self._store.get, inference_id)
        if self._ttl > 0:
            self._entries[inference_id] = (now, endpoint)
        return endpoint

    def forget(self, inference_id: str) -> Endpoint | None:
        """Drop the entry; the endpoint it held, if any."""
        entry = self._entries.pop(inference_id, None)
        return None if entry is None else entry[1]

    def forget_all(self) -> list[Endpoint]:
        """Drop every entry; the endpoints they held."""
        held = [endpoint for _, endpoint in self._entries.values()]
        self._entries.clear()
        return held
