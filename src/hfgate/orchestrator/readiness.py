"""Whether this process is ready to serve (``GET /ready``): the database answers and the default
endpoints' models are loaded; and, for information, which endpoints' models are still coming."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from hfgate.errors import EndpointNotFoundError, HfGateError
from hfgate.registry.defaults import DEFAULT_ENDPOINTS
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.store import EndpointStore
from hfgate.services import Service


async def missing(store: EndpointStore, services: Mapping[str, Service], *, models: bool) -> list[str]:
    """What this process still lacks to serve, one line each; empty when ready.

    Args:
        store: the registry, read once per default endpoint (the database must answer).
        services: the services by name, asked whether each default endpoint's model is loaded.
        models: require the default endpoints' models loaded (``HFGATE_PRELOAD_MODELS``; without
            preloading they load at their first request, and readiness cannot wait for that).
    """
    lacking: list[str] = []
    for default in DEFAULT_ENDPOINTS:
        try:
            endpoint = await asyncio.to_thread(_stored, store, default.inference_id)
        except HfGateError as exc:
            return [f"database: {exc.reason}"]
        if models and endpoint is not None and not services[endpoint.service].loaded(endpoint):
            lacking.append(f"model of [{endpoint.inference_id}]: not loaded yet")
    return lacking


def _stored(store: EndpointStore, inference_id: str) -> Endpoint | None:
    """The default endpoint, or ``None`` when the user deleted it (then nothing of it is needed)."""
    try:
        return store.get(inference_id)
    except EndpointNotFoundError:
        return None


# A model not fetched yet by this replica (a preset never used) is not "coming": it comes at its first call.
_COMING = frozenset({"downloading", "loading", "failed"})


async def model_states(store: EndpointStore, services: Mapping[str, Service]) -> dict[str, dict[str, Any]]:
    """Each endpoint whose model this process does not serve yet, with its ``model_state`` (a Hub
    model downloading, failed or loading). Informational: one endpoint's download does not take the
    replica out of rotation, its calls answer 503 with Retry-After meanwhile."""
    states: dict[str, dict[str, Any]] = {}
    for endpoint in await asyncio.to_thread(store.list, None):
        service = services.get(endpoint.service)
        state = service.observed(endpoint.served()).get("model_state") if service is not None else None
        if state and state.get("state") in _COMING:
            states[endpoint.inference_id] = state
    return states
