"""Endpoint look-ups for inference, served from memory for a short time.

Inference reads an endpoint on every call; a database round trip each time would cost more than the
rest of the gateway. Writes on any replica evict entries at once (through the change feed, see
:mod:`hfgate.fleet.changes`); ``registry_cache_seconds`` stays as the safety net should a message be lost.
While the database is unreachable, an endpoint read before goes on being served from memory (stale is
better than down for inference; writes still fail with 503, so nothing changes meanwhile on this side).
"""

from __future__ import annotations

import asyncio
import logging
import time

from hfgate.errors import RegistryUnavailableError
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.store import EndpointStore

log = logging.getLogger("hfgate.orchestrator")


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
        try:
            endpoint = await asyncio.to_thread(self._store.get, inference_id)
        except RegistryUnavailableError:
            if entry is None:
                raise
            log.warning(
                "registry unreachable, serving a cached endpoint",
                extra={"event": "registry.stale", "endpoint": inference_id},
            )
            return entry[1]
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
