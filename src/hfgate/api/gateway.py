"""hfgate's per-request work in one ASGI layer, and the inference routes reached without the rest.

Every request passes, in this order: host routing (:class:`HostNames`), a request id
(``X-Request-Id``, kept if the client sent one) with its metric labels and trace span, the gateway
keys (:class:`hfgate.api.middleware.GatewayKeys`), the body size limit and deadline
(:class:`hfgate.api.middleware.BodyLimit`), ``filter_path`` on the Elasticsearch face
(:class:`hfgate.api.es.filter_path.FilteringSend`), and a last resort for unexpected exceptions; when
it ends, it is counted in the metrics, added to its key's usage and logged. These were six ASGI
middlewares, each a coroutine frame per request and most a ``send`` wrapper; one layer does the same
with one wrapper (measured in docs/benchmarks/gateway.md). Once the replica drains
(:mod:`hfgate.process.drain`), each answer says ``Connection: close``, and the server closes the
connection after it.

The layer sits where those were: inside Starlette's and FastAPI's outer middlewares, outside the
exception middleware. A POST that one of the plain inference routes at the head of the route list
answers (:func:`hfgate.api.declare.plain_route`) goes to that route directly, as the router would send it
there: the routes before it match in the router's order, and what it raises is answered by the gateway in
the face's shape, as the app's handlers answer it; the exception middleware and the router's scan of the
included routers are skipped. Anything else, and
every request when FastAPI's own telemetry is on, takes the whole stack.

Errors: a refused key or a body over the limit is answered in the face's shape (with the request id);
an exception no handler knew gets a 500 in the face's shape and the connection stays open (Starlette
answers and then re-raises, and uvicorn closes the connection of any request whose app raised). An
exception after the answer started (a stream that broke) is re-raised: the body is cut, and closing
the connection is the only way left to tell the client. A request not answered when the drain's
deadline passes (:mod:`hfgate.process.drain`) is cancelled and answered 503 in its face's shape.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hfgate.access.principal import CURRENT
from hfgate.access.spend import TAB, Tab
from hfgate.api.error_handlers import internal_error
from hfgate.api.es.cluster import PRODUCT_HEADER
from hfgate.api.es.filter_path import FilteringSend, filters_of
from hfgate.api.faces import error_response, face_of
from hfgate.api.middleware import BodyLimit, GatewayKeys, account, count, header, log_request, settle
from hfgate.errors import HfGateError, RequestValidationError, ShuttingDownError
from hfgate.process import drain
from hfgate.telemetry.request_scope import CURRENT as CURRENT_SCOPE
from hfgate.telemetry.request_scope import RequestScope, cache_outcome
from hfgate.telemetry.session import from_headers as session_from_headers
from hfgate.telemetry.tracing import end_request_span, request_span


class Gateway:
    """The one ASGI layer of hfgate's own (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, hosts: HostNames, keys: GatewayKeys, body: BodyLimit) -> None:
        self.app = app
        self._hosts = hosts
        self._keys = keys
        self._body = body
        self._lane: InferenceLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket" and (refusal := await self._refuse_socket(scope)) is not None:
                await send({"type": "websocket.close", "code": 1008, "reason": refusal})
                return
            await self.app(scope, receive, send)
            return
        scope = self._hosts.route(scope)
        path = scope["path"]
        request_id = header(scope, b"x-request-id") or os.urandom(16).hex()  # as random as uuid4, 4x cheaper
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        bad_query: HfGateError | None = None
        try:
            cache_wanted = _cache_wanted(scope.get("query_string", b""))
        except RequestValidationError as problem:  # answered once the key is known (a 401 comes first)
            bad_query, cache_wanted = problem, True
        face = face_of(path)
        labels = RequestScope(face.name, cache_wanted=cache_wanted)
        labels.session = session_from_headers(scope["headers"])
        product = face.product_header
        scope_token = CURRENT_SCOPE.set(labels)
        span = request_span(scope["method"], path, face=labels.face)
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started, flight.waiting = True, False
                status = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", request_id.encode()))
                if product:
                    headers.append(PRODUCT_HEADER)
                if labels.served_by:
                    headers.append((b"x-hfgate-served-by", labels.served_by.encode()))
                if (outcome := cache_outcome(labels)) is not None:
                    headers.append((b"x-hfgate-cache", outcome.encode()))
                if tab is not None and tab.warning:
                    headers.append((b"x-hfgate-budget-warning", tab.warning.encode()))
                if drain.PROCESS.draining:  # answer, then close: the client's next connection goes elsewhere
                    headers.append((b"connection", b"close"))
            await send(message)

        key_token = tab_token = None
        tab: Tab | None = None
        flight = drain.PROCESS.enter(waiting=True)
        try:
            refused: HfGateError | None
            try:
                principal = await self._keys.identify(scope, state)
                refused = self._body.declared_too_large(scope) or bad_query
            except HfGateError as refusal:  # a refused key, or the registry away (503)
                refused = refusal
            if refused is not None:
                await error_response(path, refused)(scope, receive, send_with_id)
                return
            if state.get("gated"):
                key_token = CURRENT.set(principal)
            tab = state["tab"] = Tab(state["access"].budgets, principal)
            tab_token = TAB.set(tab)
            filters = filters_of(scope) if product else None
            inner: Send = send_with_id if filters is None else FilteringSend(send_with_id, filters)
            receive = self._body.counting(receive, labels)
            try:
                route = self._route(scope)
                if route is None:
                    await self.app(scope, receive, inner)
                else:
                    await route.handle(scope, receive, inner)
            except Exception as exc:
                if started:
                    raise
                answer = exc if isinstance(exc, HfGateError) else internal_error(scope, exc)
                await error_response(path, answer)(scope, receive, inner)
            except asyncio.CancelledError:
                if started or not flight.ended:  # not the drain's deadline (uvicorn stopping, a stream's own)
                    raise
                flight.task.uncancel()
                await error_response(path, ShuttingDownError(drain.DEADLINE_PASSED))(scope, receive, inner)
        finally:
            drain.PROCESS.leave(flight)
            if key_token is not None:
                CURRENT.reset(key_token)
            if tab_token is not None:
                TAB.reset(tab_token)
                await settle(state, labels)
            CURRENT_SCOPE.reset(scope_token)
            count(labels, status)
            if labels.endpoint:
                await account(state, labels, status)
            if span is not None:
                end_request_span(span, status=status, endpoint=labels.endpoint)
            log_request(scope, labels, request_id=request_id, status=status)

    async def _refuse_socket(self, scope: Scope) -> str | None:
        """Why a WebSocket handshake is refused (a missing or refused gateway key: the handshake fails with
        403), or ``None``; each message on the socket is then checked as its HTTP request would be."""
        try:
            await self._keys.identify(scope, scope.setdefault("state", {}))
        except HfGateError as refusal:
            return str(refusal)[:120]
        return None

    def _route(self, scope: Scope) -> Route | None:
        """The inference route to call directly, if the request has one (see :class:`InferenceLane`)."""
        if scope["method"] != "POST" or "fastapi.telemetry" in scope:
            return None
        if self._lane is None:
            self._lane = InferenceLane(scope["app"])
        return self._lane.route(scope)


class InferenceLane:
    """The plain routes at the head of an app's route list, matched as its router matches them.

    ``route`` answers the first route that fully matches a request (after setting what the router would
    have set in its scope), or ``None`` when the match is beyond the head (a FastAPI route or an included
    router) or there is none: the router then decides. An exception the route raises reaches the
    gateway, which answers it as the app's exception handlers would (:func:`hfgate.api.faces.error_response`:
    the plain routes raise hfgate's errors, never FastAPI's or Starlette's).
    """

    def __init__(self, app: Any) -> None:
        self._router = app.router
        self._head = _plain_head(app.router.routes)

    def route(self, scope: Scope) -> Route | None:
        for route in self._head:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                scope.setdefault("router", self._router)
                return route
        return None


_CACHE_OFF = ("false", "0", "no", "off")
_CACHE_ON = ("true", "1", "yes", "on")


def _cache_wanted(query: bytes) -> bool:
    """Whether the embedding cache may answer: not when the query string says ``cache=false`` (or
    ``0``/``no``/``off``); a value that is neither true nor false is the client's error (400)."""
    if b"cache=" not in query:
        return True
    values = [v.lower() for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if k == "cache"]
    for value in values:
        if value not in _CACHE_OFF and value not in _CACHE_ON:
            raise RequestValidationError(
                [f"[cache] must be true or false, got {value!r}: ?cache=false skips the embedding cache"],
                param="cache",
            )
    return not any(value in _CACHE_OFF for value in values)


def _plain_head(routes: list[BaseRoute]) -> tuple[Route, ...]:
    head = []
    for route in routes:
        if type(route) is not Route:  # a FastAPI route, an included router, a mount: the router's to match
            break
        head.append(route)
    return tuple(head)


_GATEWAY_PATHS = ("/health", "/ready", "/metrics", "/ui", "/static", "/_inference", "/hf/", "/docs", "/openapi.json")


class HostNames:
    """One model per host: a request to an endpoint's own host name reaches ``/hf/{id}`` at the root.

    TEI and TGI clients build URLs by joining absolute paths onto a host (Haystack's
    ``HuggingFaceTEIRanker`` posts to ``{url}/rerank`` after dropping any path), so ``/hf/{id}/…`` is out
    of their reach. A request whose ``Host`` names an endpoint is rewritten from ``/rerank`` to
    ``/hf/{id}/rerank`` (``/`` to ``/hf/{id}``), before routing and the gateway-key check:

    - ``HFGATE_HOST_ENDPOINTS``: a JSON map of host names to endpoint ids, e.g.
      ``{"ranker.internal": "my-ranker"}``;
    - ``HFGATE_ENDPOINT_DOMAIN``: with ``hfgate.internal``, ``{id}.hfgate.internal`` serves endpoint
      ``{id}`` (a wildcard DNS record points every such name at hfgate).

    Paths of the gateway itself (``/health``, ``/metrics``, ``/ui``, ``/_inference``, ``/hf/``) are left as
    they are on every host. The port in ``Host`` is ignored.
    """

    def __init__(self, *, hosts: Mapping[str, str], domain: str | None) -> None:
        self.active = bool(hosts or domain)
        self._hosts = {name.lower(): endpoint for name, endpoint in hosts.items()}
        self._suffix = f".{domain.lower().strip('.')}" if domain else None

    def route(self, scope: Scope) -> Scope:
        """``scope``, or a copy with the path on the endpoint that its host names."""
        if not self.active:
            return scope
        endpoint = self.endpoint_of(_host(scope))
        if endpoint is not None and not scope["path"].startswith(_GATEWAY_PATHS):
            return _rewritten(scope, endpoint)
        return scope

    def endpoint_of(self, host: str) -> str | None:
        """The endpoint id ``host`` (lower-case, no port) names, if any."""
        if host in self._hosts:
            return self._hosts[host]
        if self._suffix and host.endswith(self._suffix) and len(host) > len(self._suffix):
            return host[: -len(self._suffix)]
        return None


def _host(scope: Scope) -> str:
    """The request's host name, lower-case, without the port."""
    value = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1").lower()
    name, _, port = value.rpartition(":")
    return name if name and port.isdigit() else value


def _rewritten(scope: Scope, endpoint: str) -> Scope:
    rest = "" if scope["path"] == "/" else scope["path"]
    path = f"/hf/{endpoint}{rest}"
    return {**scope, "path": path, "raw_path": path.encode()}
