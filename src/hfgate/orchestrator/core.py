"""The :class:`Orchestrator`: endpoint management over the registry and services, and (from
:class:`~hfgate.orchestrator.inference.Inference`) inference on the endpoints."""

from __future__ import annotations

import asyncio
import builtins
import copy
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from hfgate.access.principal import check_endpoint, may_use
from hfgate.embed_cache import EmbedCache
from hfgate.errors import AlreadyExistsError, BadRequestError, HfGateError, ValidationCallError
from hfgate.fleet.changes import EVERYTHING, LocalChanges
from hfgate.orchestrator.cache import CacheFront
from hfgate.orchestrator.endpoint_body import (
    CREATE_FIELDS,
    UPDATE_FIELDS,
    apply_update,
    build_endpoint,
    check_fields,
)
from hfgate.orchestrator.fallback import check_fallback
from hfgate.orchestrator.inference import Inference
from hfgate.orchestrator.lookup import ALL, EndpointLookup, check_kind, check_new_id, parse_task_type, resolve_task_type
from hfgate.orchestrator.readiness import missing
from hfgate.orchestrator.running import Deadlines, LastCalls, Runner
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.store import EndpointStore
from hfgate.services import Service, service_class

log = logging.getLogger("hfgate.orchestrator")

VALIDATION_FAILED = "Could not complete inference endpoint creation as validation call to service threw an exception."
ENDPOINT_TOPIC = "endpoint"


class Orchestrator(Inference):
    """Endpoint management and inference, shared by every API face.

    Args:
        store: the endpoint registry.
        services: one live instance per service name.
        cache_seconds: how long inference may use an endpoint's settings from memory.
        changes: how replicas tell each other an endpoint changed.
        embed_cache: the embedding cache, or ``None`` for none.
        deadlines: the default deadline of a request (and of the validation call at create) per task type.
    """

    def __init__(
        self,
        *,
        store: EndpointStore,
        services: Mapping[str, Service],
        cache_seconds: float,
        changes: LocalChanges | None = None,
        embed_cache: EmbedCache | None = None,
        deadlines: Deadlines | None = None,
    ) -> None:
        self.store = store
        self.cached = CacheFront(embed_cache)
        self.services = services
        self._lookup = EndpointLookup(store, ttl_seconds=cache_seconds, opener=self._open)
        self.last_calls = LastCalls()
        self._runner = Runner(last_calls=self.last_calls, find=self._lookup.get, deadlines=deadlines or Deadlines())
        self.changes = changes or LocalChanges()
        self.changes.subscribe(ENDPOINT_TOPIC, self._changed)

    # -- endpoint management ------------------------------------------------------------------------

    async def create(
        self,
        *,
        inference_id: str,
        task_type: str | None,
        body: Mapping[str, Any],
        timeout: float | None = None,
        validate: bool = True,
    ) -> Endpoint:
        """Check, validate with one real call (unless ``validate`` is false) and store a new endpoint.

        Raises:
            HfGateError: the body, the settings or the validation call failed; or the id is taken.
        """
        if task_type is None and body.get("task_type") is None and isinstance(body.get("service"), str):
            task_type = await self._task_for(str(body["service"]), body.get("service_settings"))
        endpoint = self.check_create(inference_id=inference_id, task_type=task_type, body=body)
        if await asyncio.to_thread(self.store.exists, inference_id):
            raise AlreadyExistsError(inference_id)
        await check_fallback(endpoint, self.get)
        service = self.services[endpoint.service]
        if validate:
            endpoint = await self._validate(service, endpoint, timeout=timeout or self._default_seconds(endpoint))
        await asyncio.to_thread(self.store.create, endpoint)
        await self.changes.publish(ENDPOINT_TOPIC, inference_id)
        log.info("endpoint created", extra={"event": "endpoint.create", "endpoint": inference_id})
        return endpoint

    async def _task_for(self, service: str, settings: Any) -> str | None:
        """The task type the service reads off the model (the Hub's ``pipeline_tag``), for a create without one."""
        if not isinstance(settings, dict) or service not in self.services:
            return None
        found = await self.services[service].task_for(settings)
        return None if found is None else found.value

    def check_create(self, *, inference_id: str, task_type: str | None, body: Mapping[str, Any]) -> Endpoint:
        """Every check ``create`` makes before it calls the model or writes (``apply`` checks a whole file first).

        Raises:
            HfGateError: the id, the body or the settings are invalid.
        """
        check_new_id(inference_id)
        check_endpoint(inference_id)
        check_fields(body, CREATE_FIELDS)
        if body.get("service") is None:
            raise BadRequestError("Model configuration is missing a service", param="service")
        kind = resolve_task_type(task_type, body.get("task_type"))
        service = self._service(str(body["service"]))
        endpoint = build_endpoint(inference_id=inference_id, task_type=kind, body=body, service=type(service))
        service.admit(endpoint.served())
        return endpoint

    def check_update(self, endpoint: Endpoint, *, body: Mapping[str, Any]) -> Endpoint:
        """Every check ``update`` makes of an ``_update`` body before it calls the model or writes.

        Raises:
            HfGateError: the body changes a setting that cannot change, or sets an invalid value.
        """
        check_fields(body, UPDATE_FIELDS)
        service = self._service(endpoint.service)
        updated = apply_update(endpoint, body, service=type(service))
        service.admit(updated.served())
        return updated

    async def get(self, inference_id: str, task_type: str | None = None) -> Endpoint:
        """The stored endpoint (never from cache), checked against the task type in the URL."""
        check_endpoint(inference_id)
        endpoint = await asyncio.to_thread(self.store.get, inference_id)
        check_kind(endpoint, task_type)
        return endpoint

    async def list(self, task_type: str | None = None) -> builtins.list[Endpoint]:
        """Every endpoint the request's key may see, or those of one task type."""
        kind = None if task_type is None or task_type in ALL else parse_task_type(task_type)
        return [e for e in await asyncio.to_thread(self.store.list, kind) if may_use(e.inference_id)]

    def observed(self, endpoints: Sequence[Endpoint]) -> builtins.list[Endpoint]:
        """``endpoints`` as shown: with what their services know now over the stored settings (a local
        model's live ``engine_choice``). For display only: never stored."""
        return [self._observed(e) for e in endpoints]

    def _observed(self, endpoint: Endpoint) -> Endpoint:
        service = self.services.get(endpoint.service)
        now = service.observed(endpoint.served()) if service is not None else {}
        return endpoint.evolve(service_settings={**endpoint.service_settings, **now}) if now else endpoint

    async def readiness(self, *, models: bool) -> builtins.list[str]:
        """What this process still lacks to serve (``GET /ready``): the database, the default endpoints'
        models when ``models``; empty when ready."""
        return await missing(self.store, self.services, models=models)

    async def update(self, inference_id: str, task_type: str | None, *, body: Mapping[str, Any]) -> Endpoint:
        """Apply an ``_update`` body (secrets, task settings, updatable settings, chunking)."""
        check_fields(body, UPDATE_FIELDS)  # before the lookup: a malformed body is a 400 even for a missing id
        endpoint = await self.get(inference_id, task_type)
        service = self._service(endpoint.service)
        updated = self.check_update(endpoint, body=body)
        revised = await service.revise(endpoint.served(), updated.served(), timeout=self._default_seconds(endpoint))
        updated = replace(revised, task_type=updated.task_type)
        await check_fallback(updated, self.get)
        await asyncio.to_thread(self.store.replace, updated)
        await self._release([endpoint])
        await self.changes.publish(ENDPOINT_TOPIC, inference_id)
        log.info("endpoint updated", extra={"event": "endpoint.update", "endpoint": inference_id})
        return updated

    async def delete(self, inference_id: str, task_type: str | None = None) -> None:
        """Remove an endpoint."""
        endpoint = await self.get(inference_id, task_type)
        await asyncio.to_thread(self.store.delete, inference_id)
        self.last_calls.forget(inference_id)
        await self._release([endpoint])
        await self.changes.publish(ENDPOINT_TOPIC, inference_id)
        log.info("endpoint deleted", extra={"event": "endpoint.delete", "endpoint": inference_id})

    # -- descriptions, for the faces ------------------------------------------------------------------

    def service_kinds(self) -> dict[str, type[Service]]:
        """Every service's class by name, sorted: what ``_services`` and the web page describe."""
        return {name: type(self.services[name]) for name in sorted(self.services)}

    def service_kind(self, name: str) -> type[Service]:
        """The class of service ``name``; a ``BadRequestError`` naming it when there is none."""
        return service_class(name)

    def suggested_models(self) -> builtins.list[str]:
        """Model ids the services can run without a download (installed packages carry them)."""
        return sorted({model for kind in self.service_kinds().values() for model in kind.suggested_models()})

    # -- internals ----------------------------------------------------------------------------------

    async def _changed(self, inference_id: str) -> None:
        """Any replica changed ``inference_id`` (``"*"``: maybe anything): forget it, free its models."""
        if inference_id == EVERYTHING:
            held = self._lookup.forget_all()
        else:
            held = [e for e in [self._lookup.forget(inference_id)] if e is not None]
        await self._release(held)

    async def _release(self, endpoints: builtins.list[Endpoint]) -> None:
        if not endpoints:
            return
        stored = await asyncio.to_thread(self.store.list, None)
        for endpoint in endpoints:
            service = self.services.get(endpoint.service)
            if service is not None:
                await service.release(endpoint.served(), still_used=[e.served() for e in stored if e != endpoint])
        await self._forget_vectors(endpoints, stored=stored)

    async def _forget_vectors(self, endpoints: builtins.list[Endpoint], *, stored: builtins.list[Endpoint]) -> None:
        """Remove the cached vectors of the models no stored endpoint uses any more (a delete, an
        ``_update`` that changed the model): privacy, and room."""
        if self.cached.cache is None:
            return
        used = {self._vector_model(e) for e in stored}
        for endpoint in endpoints:
            model = self._vector_model(endpoint)
            if model is not None and model not in used:
                removed = await self.cached.forget(self.services[endpoint.service].open(endpoint.served()))
                log.info(
                    "cached vectors removed",
                    extra={"event": "embed_cache.forget", "endpoint": endpoint.inference_id, "removed": removed},
                )

    def _vector_model(self, endpoint: Endpoint) -> str | None:
        service = self.services.get(endpoint.service)
        try:
            return None if service is None else self.cached.identity_of(service.open(endpoint.served()))
        except HfGateError:  # a local model gone from disk: nothing of it can be computed again
            return None

    def _default_seconds(self, endpoint: Endpoint) -> float:
        return self._runner.deadlines.default(endpoint.task_type)

    async def _validate(self, service: Service, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        try:
            async with asyncio.timeout(timeout):
                checked = await service.check(endpoint.served(), timeout=timeout)
            return replace(checked, task_type=endpoint.task_type)
        except TimeoutError as exc:
            raise ValidationCallError(
                f"{VALIDATION_FAILED} The validation call did not finish within [{timeout:g}s]; raise ?timeout= or "
                "create with ?skip_validation=true and check the model later"
            ) from exc
        except HfGateError as exc:
            raise _validation_failure(exc) from exc


def _validation_failure(exc: HfGateError) -> HfGateError:
    """Elasticsearch's create-time message, keeping the status of what failed (401 stays 401, 429
    stays 429, an unreachable upstream stays 502/504); plain 400s become ``ValidationCallError``."""
    reason = f"{VALIDATION_FAILED} {exc.reason}"
    if exc.status == 400:
        return ValidationCallError(reason, param=exc.param)
    clone = copy.copy(exc)
    clone.reason = reason
    clone.args = (reason,)
    return clone
