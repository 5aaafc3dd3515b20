"""Endpoint look-ups for inference, served from memory for a short time.

Inference reads an endpoint on every call; a database round trip each time would cost more than the
rest of the gateway. Entries live ``registry_cache_seconds`` (so another replica's update is seen
within that time) and this replica's own writes evict them at once.
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

    def forget(self, inference_id: str) -> None:
        self._entries.pop(inference_id, None)
