"""Finding the endpoint a request names: which ids and task types are valid, and whether a request's task
type fits the endpoint it names (with Elasticsearch's messages); the look-ups themselves, served from
memory for a short time.

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
import re
import time
from collections.abc import Callable
from typing import Any

from hfgate.errors import BadRequestError, RegistryUnavailableError, RequestValidationError
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.store import EndpointStore
from hfgate.services import service_class
from hfgate.services.base import Model
from hfgate.tasks import TaskType

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


_ID = re.compile(r"[a-z0-9](?:[a-z0-9_\-.]{0,62}[a-z0-9])?")
ALL = frozenset({"_all", "*"})


def check_new_id(inference_id: str) -> None:
    """Refuse ids Elasticsearch would refuse, and ids reserved for the default endpoints.

    Raises:
        RequestValidationError: the id has characters or a length Elasticsearch does not accept.
        BadRequestError: the id starts with ``.`` (reserved for hfgate's default endpoints).
    """
    if inference_id.startswith("."):
        raise BadRequestError(
            f"Invalid inference_id [{inference_id}]: ids starting with [.] are reserved for the default "
            "endpoints; choose an id that starts with a lowercase letter or digit",
            param="inference_id",
        )
    if not _ID.fullmatch(inference_id):
        raise RequestValidationError(
            [
                f"Invalid inference_id; '{inference_id}' can contain lowercase alphanumeric (a-z and 0-9), "
                "hyphens, dots or underscores; must start and end with alphanumeric and be at most 64 "
                "characters"
            ],
            param="inference_id",
        )


def parse_task_type(raw: Any) -> TaskType:
    """The task type named ``raw``.

    Raises:
        BadRequestError: ``Unknown task_type [raw]``.
    """
    try:
        return TaskType(raw)
    except ValueError:
        raise BadRequestError(f"Unknown task_type [{raw}]", param="task_type") from None


def resolve_task_type(path_value: str | None, body_value: Any) -> TaskType:
    """The task type of a create request: from the URL, the body, or both when they agree.

    Raises:
        BadRequestError: unknown, missing, or conflicting task types.
    """
    if path_value is not None and body_value is not None and path_value != body_value:
        raise BadRequestError(
            f"Cannot resolve conflicting task_type parameter in the request URL [{path_value}] and the "
            f"request body [{body_value}]",
            param="task_type",
        )
    value = path_value if path_value is not None else body_value
    if value is None:
        raise RequestValidationError(
            [
                "[task_type] is required: give it in the URL, PUT _inference/{task_type}/{inference_id} (left out, "
                "a model the Hub tags with a task hfgate serves, its pipeline_tag, gets that task)"
            ],
            param="task_type",
        )
    return parse_task_type(value)


def check_kind(endpoint: Endpoint, task_type: str | None) -> None:
    """A read, update or delete that names a task type names the endpoint's own (or ``_all``)."""
    if task_type is None or task_type in ALL:
        return
    if parse_task_type(task_type) is not endpoint.task_type:
        raise BadRequestError(
            f"Requested task type [{task_type}] does not match the inference endpoint's task type "
            f"[{endpoint.task_type.value}]",
            param="task_type",
        )


def check_inference_kind(endpoint: Endpoint, task_type: str | TaskType | None) -> None:
    """Inference asks for the endpoint's task type, or the other generation task its service offers."""
    if task_type is None:
        return
    requested = parse_task_type(task_type)
    if requested is endpoint.task_type or _generation_pair(requested, endpoint) or _embedding_pair(requested, endpoint):
        return
    raise BadRequestError(
        f"Incompatible task_type, the requested type [{requested.value}] does not match the model type "
        f"[{endpoint.task_type.value}]",
        param="task_type",
    )


def _embedding_pair(requested: TaskType, endpoint: Endpoint) -> bool:
    """A text_embedding model answers Elasticsearch's ``embedding`` task (text content), and an ``embedding``
    endpoint answers ``text_embedding`` for its text side."""
    return {requested, endpoint.task_type} == {TaskType.EMBEDDING, TaskType.TEXT_EMBEDDING}


def _generation_pair(requested: TaskType, endpoint: Endpoint) -> bool:
    """A generating model answers both completion and chat_completion when its service offers both."""
    generating = {TaskType.COMPLETION, TaskType.CHAT_COMPLETION}
    if requested not in generating or endpoint.task_type not in generating:
        return False
    return requested in service_class(endpoint.service).task_types
