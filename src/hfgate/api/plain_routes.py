"""The inference POST routes served as plain Starlette routes, each just ahead of its FastAPI twin.

FastAPI's per-request machinery (its request wrapper, an ``AsyncExitStack``, solving the
``OrchestratorDep`` dependency) costs about 0.1 ms of CPU per request, as much as the rest of a face.
Inference handlers take only path strings, the ``Request`` and the orchestrator, so a plain route
can call them directly. The FastAPI route stays registered right behind its twin, so the OpenAPI
schema (``/docs``) is unchanged, and so is every other method on the path (405s, for example).
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route


def serve_plainly(app: FastAPI, *, guard: Any = None) -> None:
    """Put a plain twin ahead of each POST route that can have one (see :func:`plain_twin`).

    ``guard`` is the app-wide dependency every router is included with (the role check): a twin does
    not run it, so the caller wraps the twins in the same check (:func:`hfgate.api.route_roles.guard_routes`).
    """
    routes: list[BaseRoute] = []
    for entry in app.router.routes:
        for route in _api_routes(entry, guard=guard):
            twin = plain_twin(route) if "POST" in (route.methods or ()) else None
            if twin is not None:
                routes.append(twin)
        routes.append(entry)
    app.router.routes[:] = routes


def _api_routes(entry: BaseRoute, *, guard: Any) -> list[APIRoute]:
    """The FastAPI routes an entry of the app's route list serves: itself, or, for FastAPI versions
    that keep an included router whole, its routes (when included without a prefix, and with no
    dependency but ``guard``)."""
    if isinstance(entry, APIRoute):
        return [entry]
    router, context = getattr(entry, "original_router", None), getattr(entry, "include_context", None)
    if router is None or context is None or context.prefix or router.dependencies:
        return []
    if any(dependency is not guard for dependency in context.dependencies):
        return []
    return [route for route in router.routes if isinstance(route, APIRoute)]


def plain_twin(route: APIRoute) -> Route | None:
    """A Starlette route calling ``route``'s endpoint with its path parameters, request and orchestrator;
    ``None`` for routes that do not run inference (no orchestrator) and for endpoints that need
    FastAPI: other parameters or dependencies, a status code or a response model to apply, or an
    answer that is not a ``Response``."""
    endpoint = route.endpoint
    signature = inspect.signature(endpoint, eval_str=True)
    names = set(signature.parameters)
    answers = signature.return_annotation
    if "orch" not in names or names - set(route.param_convertors) - {"request", "orch"} or route.dependencies:
        return None
    if route.status_code is not None or route.response_model is not None:
        return None
    if not (inspect.isclass(answers) and issubclass(answers, Response)):
        return None
    wants_request = "request" in names

    async def call(request: Request) -> Response:
        arguments: dict[str, Any] = dict(request.path_params)
        if wants_request:
            arguments["request"] = request
        arguments["orch"] = request.app.state.orchestrator
        answer: Response = await endpoint(**arguments)
        return answer

    return Route(route.path, call, methods=["POST"], name=f"{route.name}.plain")
