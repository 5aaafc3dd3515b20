"""Elasticsearch-shaped endpoint management: create, read, list, update, delete, ``_services``.

Each route is declared once (:mod:`hfgate.api.declare`). The orchestrator reads the create and update
bodies (the page and ``hfgate apply`` send the same ones, and its refusals are Elasticsearch's words), so
:class:`~hfgate.api.es.schema.EndpointConfig` and ``EndpointUpdate`` only document them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from hfgate.access.roles import Role
from hfgate.api.body import json_object
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.es.errors import FACE as ES
from hfgate.api.es.requests import parse_duration
from hfgate.api.es.schema import Acknowledged, EndpointConfig, EndpointInfo, EndpointList, EndpointUpdate, ServiceInfo
from hfgate.api.es.services_info import describe_services
from hfgate.chunking.window import window_warning
from hfgate.orchestrator import Orchestrator
from hfgate.orchestrator.lookup import ALL, parse_task_type
from hfgate.registry.endpoint import Endpoint

ROUTES = FaceRoutes(ES, tag="_inference: endpoints", error=None)
_ID = "/_inference/{task_type}/{inference_id}"

VALIDATION_SKIPPED = '299 hfgate "validation call skipped at the user\'s request (skip_validation=true)"'


@ROUTES.get("/_inference/_services", role=Role.MONITOR, answer=list[ServiceInfo])
async def services(orch: OrchestratorDep) -> list[dict[str, Any]]:
    """Every service, its task types and its settings."""
    return describe_services(orch.service_kinds())


@ROUTES.get("/_inference/_services/{task_type}", role=Role.MONITOR, answer=list[ServiceInfo])
async def services_for(task_type: str, orch: OrchestratorDep) -> list[dict[str, Any]]:
    """The services that support ``task_type``."""
    return describe_services(orch.service_kinds(), parse_task_type(task_type))


@ROUTES.put("/_inference/{inference_id}/_update", role=Role.MANAGE, body=EndpointUpdate, answer=EndpointInfo)
async def update_by_id(inference_id: str, request: Request, *, orch: OrchestratorDep) -> dict[str, Any]:
    return (await orch.update(inference_id, None, body=await json_object(request))).public()


@ROUTES.put(f"{_ID}/_update", role=Role.MANAGE, body=EndpointUpdate, answer=EndpointInfo, operation_id="es_update")
async def update(task_type: str, inference_id: str, *, request: Request, orch: OrchestratorDep) -> dict[str, Any]:
    """Change secrets, task settings, updatable service settings or chunking settings."""
    return (await orch.update(inference_id, task_type, body=await json_object(request))).public()


@dataclass(frozen=True, slots=True)
class CreateQuery:
    """The query parameters of a create: ``?timeout=30s&skip_validation=true``."""

    timeout: str | None = None
    skip_validation: bool = False


CreateQueryDep = Annotated[CreateQuery, Depends()]


@ROUTES.put("/_inference/{inference_id}", role=Role.MANAGE, body=EndpointConfig, answer=EndpointInfo)
async def create_by_id(
    inference_id: str, request: Request, *, response: Response, orch: OrchestratorDep, query: CreateQueryDep
) -> dict[str, Any]:
    return await _create(orch, request, response=response, where=(None, inference_id), query=query)


@ROUTES.put(_ID, role=Role.MANAGE, body=EndpointConfig, answer=EndpointInfo, operation_id="es_create", links=True)
async def create(
    task_type: str, inference_id: str, *, request: Request, response: Response, orch: OrchestratorDep,
    query: CreateQueryDep,
) -> dict[str, Any]:  # fmt: skip
    """Create an endpoint; one real call validates it unless ``skip_validation=true``."""
    return await _create(orch, request, response=response, where=(task_type, inference_id), query=query)


@ROUTES.get("/_inference", role=Role.MONITOR, answer=EndpointList)
async def list_all(orch: OrchestratorDep) -> dict[str, Any]:
    return _shown(orch, await orch.list())


@ROUTES.get("/_inference/{inference_id}", role=Role.MONITOR, answer=EndpointList)
async def get_by_id(inference_id: str, orch: OrchestratorDep) -> dict[str, Any]:
    if inference_id in ALL:
        return _shown(orch, await orch.list())
    return _shown(orch, [await orch.get(inference_id)])


@ROUTES.get(_ID, role=Role.MONITOR, answer=EndpointList, operation_id="es_get")
async def get(task_type: str, inference_id: str, *, orch: OrchestratorDep) -> dict[str, Any]:
    """One endpoint, or with ``_all``/``*`` every endpoint of the task type."""
    if inference_id in ALL:
        return _shown(orch, await orch.list(task_type))
    return _shown(orch, [await orch.get(inference_id, task_type)])


def _shown(orch: Orchestrator, endpoints: list[Endpoint]) -> dict[str, Any]:
    """The endpoints as stored, with what their services know now (a local model's ``engine_choice``)."""
    return {"endpoints": [e.public() for e in orch.observed(endpoints)]}


@ROUTES.delete("/_inference/{inference_id}", role=Role.MANAGE, answer=Acknowledged)
async def delete_by_id(
    inference_id: str, orch: OrchestratorDep, *, dry_run: bool = False, force: bool = False
) -> dict[str, Any]:
    return await _delete(orch, inference_id, task_type=None, dry_run=dry_run)


@ROUTES.delete(_ID, role=Role.MANAGE, answer=Acknowledged, operation_id="es_delete")
async def delete(
    task_type: str, inference_id: str, *, orch: OrchestratorDep, dry_run: bool = False, force: bool = False
) -> dict[str, Any]:
    """Delete an endpoint (``dry_run`` only checks it exists). ``force`` is accepted for compatibility."""
    return await _delete(orch, inference_id, task_type=task_type, dry_run=dry_run)


async def _create(
    orch: OrchestratorDep,
    request: Request,
    *,
    response: Response,
    where: tuple[str | None, str],
    query: CreateQuery,
) -> dict[str, Any]:
    """Create the endpoint ``where`` names: (task type from the path or None, inference id)."""
    task_type, inference_id = where
    body = await json_object(request)
    endpoint = await orch.create(
        inference_id=inference_id,
        task_type=task_type,
        body=body,
        timeout=parse_duration(query.timeout),
        validate=not query.skip_validation,
    )
    if query.skip_validation:
        response.headers.append("Warning", VALIDATION_SKIPPED)
    window = endpoint.service_settings.get("context_window")
    if endpoint.chunking_settings is not None and (said := window_warning(endpoint.chunking_settings, window=window)):
        response.headers.append("Warning", f'299 hfgate "{said}"')
    return endpoint.public()


async def _delete(orch: OrchestratorDep, inference_id: str, *, task_type: str | None, dry_run: bool) -> dict[str, Any]:
    if dry_run:
        await orch.get(inference_id, task_type)
        return {"acknowledged": False, "pipelines": []}
    await orch.delete(inference_id, task_type)
    return {"acknowledged": True, "pipelines": []}
