"""The inference POST routes served as plain Starlette routes, ahead of the FastAPI routes.

FastAPI's per-request machinery (its request wrapper, an ``AsyncExitStack``, solving the
``OrchestratorDep`` dependency) costs as much CPU as the rest of a face (docs/benchmarks/gateway.md),
and matching a path against the included routers before the inference ones costs more. Inference
handlers take only path strings, the ``Request`` and the orchestrator, so a plain route can call
them directly. The twins go before the first FastAPI route; the FastAPI routes stay registered, so
the OpenAPI schema (``/docs``) is unchanged, and so is every other method on the path (405s, for
example). No FastAPI route before a twin's original place answers POST on a path the twin matches
(checked here), so every POST reaches the handler it reached before.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route


def serve_plainly(app: FastAPI, *, guard: Any = None) -> None:
    """Put a plain twin of each POST route that can have one (see :func:`plain_twin`) before the
    first FastAPI route.

    ``guard`` is the app-wide dependency every router is included with (the role check): a twin does
    not run it, so the caller wraps the twins in the same check (:func:`hfgate.api.route_roles.guard_routes`).

    Raises:
        ValueError: a POST route without a twin would be overtaken by a twin that matches its path.
    """
    routes = list(app.router.routes)
    first = next(
        (i for i, entry in enumerate(routes) if _api_routes(entry, guard=guard) or _is_router(entry)), len(routes)
    )
    posts = [
        route
        for entry in routes[first:]
        for route in _api_routes(entry, guard=guard)
        if "POST" in (route.methods or ())
    ]
    twins = [plain_twin(route) for route in posts]
    for index, (route, twin) in enumerate(zip(posts, twins, strict=True)):
        if twin is None:
            _check_not_overtaken(route, [t for t in twins[index + 1 :] if t is not None])
    app.router.routes[:] = [*routes[:first], *(t for t in twins if t is not None), *routes[first:]]


def _check_not_overtaken(route: APIRoute, later: list[Route]) -> None:
    """``route`` stays reachable if no twin from after it matches its path."""
    if not later:
        return
    probe = {"type": "http", "method": "POST", "path": route.path}
    if "{" in route.path or any(twin.matches(probe)[0] is Match.FULL for twin in later):
        raise ValueError(f"POST {route.path} would be overtaken by a plain inference route; give it a twin")


def _is_router(entry: BaseRoute) -> bool:
    return hasattr(entry, "original_router")


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
