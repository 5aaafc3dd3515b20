"""The one table of which role each route needs, and the guard that enforces it on every route.

``RULES`` names every route of every face by ``"METHOD path"`` (the route's own path template). A route
missing from it is refused to everyone but ``admin`` (and ``tests/api/test_route_roles.py`` fails), so a
new route cannot be left open by accident. ``OPEN`` routes need no key (health, the page's login and
assets); ``ANY_KEY`` routes need a valid key of any role. The guard also keeps a key within its
endpoints (the route's ``inference_id``) and, on inference routes, within its per-minute limits.

The guard wraps each route's ASGI app once, at start-up: a request pays one dictionary read and one
set-membership test, no route matching of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final
from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from hfgate.access.principal import CURRENT, check_endpoint
from hfgate.access.roles import Role
from hfgate.errors import AuthenticationError

OPEN: Final = "open"
ANY_KEY: Final = "any key"
Need = Role | str

_ES_INFER = ("/_inference/{task_type}/{inference_id:endpoint_id}", "/_inference/{inference_id:endpoint_id}")
_HF = ("", "/embed", "/rerank", "/tokenize", "/generate", "/generate_stream", "/v1/embeddings",
       "/v1/chat/completions", "/v1/completions")  # fmt: skip

RULES: dict[str, Need] = {
    # app-wide
    "GET /health": OPEN,
    "GET /metrics": Role.MONITOR,
    "GET /": OPEN,  # the page for browsers, Elasticsearch's cluster info for clients
    "HEAD /": OPEN,
    "GET /openapi.json": ANY_KEY,
    "GET /docs": ANY_KEY,
    "GET /docs/oauth2-redirect": ANY_KEY,
    "GET /redoc": ANY_KEY,
    # Elasticsearch face: endpoints
    "GET /_inference/_services": Role.MONITOR,
    "GET /_inference/_services/{task_type}": Role.MONITOR,
    "GET /_inference": Role.MONITOR,
    "GET /_inference/{inference_id}": Role.MONITOR,
    "GET /_inference/{task_type}/{inference_id}": Role.MONITOR,
    "PUT /_inference/{inference_id}": Role.MANAGE,
    "PUT /_inference/{task_type}/{inference_id}": Role.MANAGE,
    "PUT /_inference/{inference_id}/_update": Role.MANAGE,
    "PUT /_inference/{task_type}/{inference_id}/_update": Role.MANAGE,
    "DELETE /_inference/{inference_id}": Role.MANAGE,
    "DELETE /_inference/{task_type}/{inference_id}": Role.MANAGE,
    # Elasticsearch face: inference
    **{f"POST {path}": Role.INFER for path in _ES_INFER},
    "POST /_inference/{inference_id}/_stream": Role.INFER,
    "POST /_inference/{task_type}/{inference_id}/_stream": Role.INFER,
    "POST /_inference/_chunk": Role.INFER,
    # keys and usage (Elasticsearch-shaped routes of our own)
    "POST /_security/api_key": Role.ADMIN,
    "PUT /_security/api_key": Role.ADMIN,
    "GET /_security/api_key": Role.ADMIN,
    "DELETE /_security/api_key": Role.ADMIN,
    "GET /_security/_authenticate": ANY_KEY,
    "GET /_usage": Role.MONITOR,
    # OpenAI face
    "GET /v1/models": Role.INFER,
    "GET /v1/models/{model:path}": Role.INFER,
    "POST /v1/embeddings": Role.INFER,
    "POST /v1/completions": Role.INFER,
    "POST /v1/chat/completions": Role.INFER,
    # Hugging Face face
    "GET /hf/{inference_id}/health": Role.INFER,
    "GET /hf/{inference_id}/info": Role.INFER,
    **{f"POST /hf/{{inference_id}}{suffix}": Role.INFER for suffix in _HF},
    # the web page (pages redirect to the login when there is no session)
    "GET /ui": Role.MONITOR,
    "GET /ui/": Role.MONITOR,
    "GET /ui/new": Role.MANAGE,
    "GET /ui/endpoints/{inference_id}": Role.MONITOR,
    "GET /ui/endpoints/{inference_id}/playground": Role.INFER,
    "GET /ui/usage": Role.MONITOR,
    "GET /ui/keys": Role.ADMIN,
    "GET /ui/login": OPEN,
    "POST /ui/login": OPEN,
    "POST /ui/locale": OPEN,
    "POST /ui/logout": OPEN,
    "GET /ui/static/{name}": OPEN,
    "PUT /ui/api/endpoints/{task_type}/{inference_id}": Role.MANAGE,
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
    """Wrap every route's app in its :class:`Guard` (once: routers are shared by apps in one process)."""
    for route in all_routes(routes):
        if not isinstance(route.app, Guard):
            route.app = Guard(route.app, need=need_of(route))


class Guard:
    """Lets a request through to one route when the request's key holds the route's role."""

    def __init__(self, app: ASGIApp, *, need: Need) -> None:
        self.app = app
        self.need = need

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope.get("state", {})
        if self.need != OPEN and state.get("gated") and not await self._allowed(scope, state):
            await RedirectResponse(f"/ui/login?next={quote(scope['path'])}", status_code=303)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _allowed(self, scope: Scope, state: dict[str, Any]) -> bool:
        """``False`` when a page is asked for without a session (the answer is the login page).

        Raises:
            AuthenticationError, ForbiddenError, KeyLimitError: as the face renders them.
        """
        principal = CURRENT.get()
        if principal is None:
            if scope["method"] == "GET" and scope["path"].startswith("/ui"):
                return False
            raise AuthenticationError("missing authentication credentials; send [Authorization: Bearer <key>]")
        if isinstance(self.need, Role):
            principal.require(self.need)
        inference_id = scope.get("path_params", {}).get("inference_id")
        if inference_id is not None:
            check_endpoint(str(inference_id))
        if self.need is Role.INFER and principal.limited:
            await state["access"].quota.admit(principal)
        return True
