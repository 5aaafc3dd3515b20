"""Endpoint look-ups for inference, served from memory for a short time.

Inference reads an endpoint on every call; a database round trip each time would cost more than the
rest of the gateway. Writes on any replica evict entries at once (through the change feed, see
:mod:`hfgate.fleet.changes`); ``registry_cache_seconds`` stays as the safety net should a message be lost.
When an entry runs out, the requests that find it so share one read of the store (under load, every
request in flight would otherwise start its own, each a thread hop and a query).
While the database is unreachable, an endpoint read before goes on being served from memory (stale is
better than down for inference; writes still fail with 503, so nothing changes meanwhile on this side).

Each endpoint's model object (``Service.open``) is kept with its entry: opened at its first request,
kept while the endpoint reads the same, dropped when it changes or goes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from hfgate.errors import RegistryUnavailableError
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.store import EndpointStore
from hfgate.services.base import Model

log = logging.getLogger("hfgate.orchestrator")


class EndpointLookup:
    """Cached reads of the endpoint store, and the endpoints' model objects.

    Args:
        store: the endpoint store.
        ttl_seconds: how long an endpoint read is served from memory.
        opener: opens an endpoint for requests (its service's ``open``).
    """

    def __init__(self, store: EndpointStore, *, ttl_seconds: float, opener: Callable[[Endpoint], Model]) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._open = opener
        self._entries: dict[str, tuple[float, Endpoint]] = {}
        self._reading: dict[str, asyncio.Future[Endpoint]] = {}
        self._models: dict[str, tuple[Endpoint, Model]] = {}

    def model(self, endpoint: Endpoint) -> Model:
        """``endpoint`` opened by its service (as it serves it: ``Endpoint.served``), kept while the endpoint
        reads the same (a fresh read of an unchanged record keeps it)."""
        held = self._models.get(endpoint.inference_id)
        if held is not None and (held[0] is endpoint or held[0] == endpoint):
            if held[0] is not endpoint:
                self._models[endpoint.inference_id] = (endpoint, held[1])
            return held[1]
        model = self._open(endpoint.served())
        self._models[endpoint.inference_id] = (endpoint, model)
        return model

    async def get(self, inference_id: str) -> Endpoint:
        """The endpoint, from memory when fresh.

        Raises:
            EndpointNotFoundError: no such endpoint.
        """
        entry = self._entries.get(inference_id)
        now = time.monotonic()
        if entry is not None and now - entry[0] < self._ttl:
            return entry[1]
        if self._ttl <= 0:
            return await asyncio.to_thread(self._store.get, inference_id)
        reading = self._reading.get(inference_id)
        if reading is None:
            reading = self._read(inference_id, now=now)
        try:
            return await asyncio.shield(reading)
        except RegistryUnavailableError:
            if entry is None:
                raise
            log.warning(
                "registry unreachable, serving a cached endpoint",
                extra={"event": "registry.stale", "endpoint": inference_id},
            )
            return entry[1]

    def _read(self, inference_id: str, *, now: float) -> asyncio.Future[Endpoint]:
        reading = asyncio.ensure_future(asyncio.to_thread(self._store.get, inference_id))
        self._reading[inference_id] = reading
        reading.add_done_callback(lambda done: self._keep(inference_id, done, now=now))
        return reading

    def _keep(self, inference_id: str, done: asyncio.Future[Endpoint], *, now: float) -> None:
        """Remember what a read found, unless the entry was forgotten while it ran."""
        failed = done.cancelled() or done.exception() is not None  # retrieved even if no one waits any more
        if self._reading.get(inference_id) is not done:
            return
        del self._reading[inference_id]
        if not failed:
            self._entries[inference_id] = (now, done.result())

    def forget(self, inference_id: str) -> Endpoint | None:
        """Drop the entry; the endpoint it held, if any."""
        self._reading.pop(inference_id, None)
        self._models.pop(inference_id, None)
        entry = self._entries.pop(inference_id, None)
        return None if entry is None else entry[1]

    def forget_all(self) -> list[Endpoint]:
        """Drop every entry; the endpoints they held."""
        held = [endpoint for _, endpoint in self._entries.values()]
        self._entries.clear()
        self._reading.clear()
        self._models.clear()
        return held
