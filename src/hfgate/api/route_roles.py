"""The one table of which role each route needs, and the guard that enforces it on every route.

``RULES`` names every route by ``"METHOD path"`` (the route's own path template): each route's role comes
from its declaration (:mod:`hfgate.api.declared`: the API's and the web page's); only FastAPI's
documentation's are written here. A route missing from it is refused to everyone but ``admin`` (and
``tests/api/test_route_roles.py`` fails), so a new route cannot be left open by accident. ``OPEN`` routes
need no key (health, the page's login and assets); ``ANY_KEY`` routes need a valid key of any role. The
guard also keeps a key within its endpoints (the route's ``inference_id``) and, on inference routes, within
its per-minute limits.

The declared plain routes (the inference routes) check their role themselves
(:func:`hfgate.api.declare.plain_route`); other plain Starlette routes (the docs) have their ASGI app
wrapped once in a :class:`Guard`; FastAPI's routes get :data:`GUARD`, a dependency of every included
router. The check itself is :func:`hfgate.access.principal.check`. Either way a request pays a dictionary
read and a set-membership test, no route matching of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from hfgate.access.principal import ANY_KEY, Need, check
from hfgate.access.roles import Role
from hfgate.api.declared import PAGES, declared

RULES: dict[str, Need] = {
    # every route hfgate declares: its role is in its declaration (hfgate.api.declared)
    **{route.rule: route.role for route in declared()},
    **{rule: need for pages in PAGES for rule, need in pages.needs.items()},
    # FastAPI's documentation of the API
    "GET /openapi.json": ANY_KEY,
    "GET /docs": ANY_KEY,
    "GET /docs/oauth2-redirect": ANY_KEY,
    "GET /redoc": ANY_KEY,
}


def rule_names(route: Route) -> list[str]:
    """``"METHOD path"`` of each method the route answers (HEAD follows GET when both are there)."""
    methods = route.methods or {"GET"}
    return [f"{m} {route.path}" for m in sorted(methods) if not (m == "HEAD" and "GET" in methods)]


def need_of(route: Route) -> Need:
    """The role a route needs; ``admin`` when the table forgot it (never open by accident)."""
    needs = {RULES.get(name, Role.ADMIN) for name in rule_names(route)}
    return needs.pop() if len(needs) == 1 else Role.ADMIN


def all_routes(routes: Iterable[BaseRoute]) -> Iterator[Route]:
    """Every plain route, through included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from all_routes(inner.routes)
        elif isinstance(route, Route):
            yield route


def guard_routes(routes: Iterable[BaseRoute]) -> None:
    """Wrap each plain Starlette route's app in its :class:`Guard` (once: routes are shared by apps in a
    process), but the declared plain routes (they check their role themselves). FastAPI's routes are
    guarded by :data:`GUARD`, a dependency of every included router."""
    checked = {id(route.plain) for route in declared() if route.plain is not None}
    for route in all_routes(routes):
        if isinstance(route, APIRoute) or isinstance(route.app, Guard) or id(route) in checked:
            continue
        route.app = Guard(route.app, need=need_of(route))


class Guard:
    """Lets a request through to one plain route when the request's key holds the route's role."""

    def __init__(self, app: ASGIApp, *, need: Need) -> None:
        self.app = app
        self.need = need

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await check(scope, self.need)
        await self.app(scope, receive, send)


_NEEDS: dict[int, Need] = {}


async def _guard_request(request: Request) -> None:
    route = request.scope["route"]
    need = _NEEDS.get(id(route))
    if need is None:
        need = _NEEDS[id(route)] = need_of(route)
    await check(request.scope, need)


GUARD = Depends(_guard_request)
