"""hfgate's per-request work in one ASGI layer, and the inference routes reached without the rest.

Every request passes, in this order: host routing (:class:`HostNames`), a request id (``X-Request-Id``, kept if the
client sent one) with its metric labels and trace span, the gateway keys (:class:`GatewayKeys`), the body size limit
and deadline (:class:`BodyLimit`), ``filter_path`` on the Elasticsearch face
(:class:`hfgate.api.es.shapes.FilteringSend`), and a last resort for unexpected exceptions; when it ends, it is
counted in the metrics, added to its key's usage and logged. One layer rather than a middleware each: one
coroutine frame and one ``send`` wrapper per request (docs/benchmarks/gateway.md). Once the replica drains
(:mod:`hfgate.process.drain`), each answer says ``Connection: close``, and the server closes the connection after it.

The layer sits inside Starlette's and FastAPI's outer middlewares, outside the exception middleware. A POST
that one of the plain inference routes at the head of the route list answers
(:func:`hfgate.api.declare.plain_route`) goes to that route directly, as the router would send it there: the
routes before it match in the router's order, and what it raises is answered by the gateway in the face's shape,
as the app's handlers answer it; the exception middleware and the router's scan of the included routers are
skipped. Anything else, and every request when FastAPI's own telemetry is on, takes the whole stack.

Errors: a refused key or a body over the limit is answered in the face's shape (with the request id);
an exception no handler knew gets a 500 in the face's shape and the connection stays open (Starlette
answers and then re-raises, and uvicorn closes the connection of any request whose app raised). An
exception after the answer started (a stream that broke) is re-raised: the body is cut, and closing
the connection is the only way left to tell the client. A request not answered when the drain's
deadline passes (:mod:`hfgate.process.drain`) is cancelled and answered 503 in its face's shape.

The parts the layer runs (gateway keys, the body size limit, and what a finished request leaves behind:
metrics, usage, the access log) are plain objects and functions below, not ASGI layers.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from starlette.requests import cookie_parser
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hfgate.access.control import AccessControl
from hfgate.access.principal import CURRENT, Principal
from hfgate.access.spend import ANONYMOUS, TAB, Tab, micros
from hfgate.api.declared import declared
from hfgate.api.error_handlers import internal_error
from hfgate.api.es.cluster import PRODUCT_HEADER
from hfgate.api.es.shapes import FilteringSend, filters_of
from hfgate.api.face import Face
from hfgate.api.faces import error_response, face_of
from hfgate.api.gemini.errors import FACE as GEMINI
from hfgate.api.ui.session import COOKIE, CSRF_HEADER, SessionSigner, UiSession
from hfgate.batches.calls import ON_BEHALF_OF
from hfgate.errors import (
    AuthenticationError,
    HfGateError,
    PayloadTooLargeError,
    RequestTimeoutError,
    RequestValidationError,
    ShuttingDownError,
)
from hfgate.process import drain
from hfgate.telemetry.metrics import REQUEST_SECONDS, REQUESTS
from hfgate.telemetry.request_scope import CURRENT as CURRENT_SCOPE
from hfgate.telemetry.request_scope import RequestScope, cache_outcome, spent
from hfgate.telemetry.request_scope import from_headers as session_from_headers
from hfgate.telemetry.tracing import end_request_span, request_span

log = logging.getLogger("hfgate.access")


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
        request_id = header(scope, b"x-request-id") or os.urandom(16).hex()  # as random as uuid4, and cheaper
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        bad_query: HfGateError | None = None
        try:
            cache_wanted = _cache_wanted(scope.get("query_string", b""))
        except RequestValidationError as problem:  # answered once the key is known (a 401 comes first)
            bad_query, cache_wanted = problem, True
        lane = self._route(scope)
        face = face_of(path) if lane is None else lane[1]
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
        body_limit = self._body.limit(scope)
        try:
            refused: HfGateError | None
            try:
                principal = await self._keys.identify(scope, state)
                refused = self._body.declared_too_large(scope, body_limit) or bad_query
            except HfGateError as refusal:  # a refused key, or the registry away (503)
                refused = refusal
            if refused is not None:
                await error_response(path, refused, face=face)(scope, receive, send_with_id)
                return
            if state.get("gated"):
                key_token = CURRENT.set(principal)
            tab = state["tab"] = Tab(state["access"].budgets, principal)
            tab_token = TAB.set(tab)
            filters = filters_of(scope) if product else None
            inner: Send = send_with_id if filters is None else FilteringSend(send_with_id, filters)
            receive = self._body.counting(receive, labels, body_limit)
            try:
                if lane is None:
                    await self.app(scope, receive, inner)
                else:
                    await lane[0].handle(scope, receive, inner)
            except Exception as exc:
                if started:
                    raise
                answer = exc if isinstance(exc, HfGateError) else internal_error(scope, exc)
                await error_response(path, answer, face=face)(scope, receive, inner)
            except asyncio.CancelledError:
                if started or not flight.ended:  # not the drain's deadline (uvicorn stopping, a stream's own)
                    raise
                flight.task.uncancel()
                await error_response(path, ShuttingDownError(drain.DEADLINE_PASSED), face=face)(scope, receive, inner)
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

    def _route(self, scope: Scope) -> tuple[Route, Face] | None:
        """The inference route to call directly and its face, if the request has one (see
        :class:`InferenceLane`)."""
        if scope["method"] != "POST" or "fastapi.telemetry" in scope:
            return None
        if self._lane is None:
            self._lane = InferenceLane(scope["app"])
        return self._lane.route(scope)


class InferenceLane:
    """The plain routes at the head of an app's route list, matched as its router matches them.

    ``route`` answers the first route that fully matches a request (after setting what the router would have set in
    its scope) with the face that declared it, or ``None`` when the match is beyond the head (a FastAPI route or an
    included router) or there is none: the router then decides. An exception the route raises reaches the gateway,
    which answers it as the app's exception handlers would (:func:`hfgate.api.faces.error_response`: the plain
    routes raise hfgate's errors, never FastAPI's or Starlette's).
    """

    def __init__(self, app: Any) -> None:
        self._router = app.router
        self._head = _plain_head(app.router.routes)

    def route(self, scope: Scope) -> tuple[Route, Face] | None:
        for route, face in self._head:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                scope.setdefault("router", self._router)
                return route, face or face_of(scope["path"])
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


def _plain_head(routes: list[BaseRoute]) -> tuple[tuple[Route, Face | None], ...]:
    """The plain routes at the head of ``routes``, each with the face that declared it (``None``: a route
    not declared, FastAPI's documentation); the head ends at the first other route (a FastAPI route, an
    included router, a mount: the router's to match)."""
    faces = {id(route.plain): route.face for route in declared() if route.plain is not None}
    head = []
    for route in routes:
        if type(route) is not Route:
            break
        head.append((route, faces.get(id(route))))
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


def log_request(scope: Scope, labels: RequestScope, *, request_id: str, status: int) -> None:
    """The access log's line for a finished request (nothing, and no work, with the level above info)."""
    if log.isEnabledFor(logging.INFO):
        log.info(
            "request",
            extra={
                "event": "request",
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "key_id": _key_id(scope["state"]),
                **({"served_by": labels.served_by} if labels.served_by else {}),
                **({"session": labels.session} if labels.session else {}),
                **(_upstream(labels) if labels.upstream else {}),
                "ms": round((time.perf_counter() - labels.started) * 1000, 2),
            },
        )


def _upstream(labels: RequestScope) -> dict[str, str]:
    """Which of the endpoint's several urls served, and why (session affinity's outcome and key)."""
    fields = {"upstream": labels.upstream}
    if labels.affinity:
        fields["affinity"] = labels.affinity
    if labels.affinity_key:
        fields["affinity_key"] = labels.affinity_key
    return fields


def count(labels: RequestScope, status: int) -> None:
    """The request in the request metrics."""
    REQUESTS(labels.face, labels.endpoint, labels.task_type, str(status)).inc()
    elapsed = time.perf_counter() - labels.started
    REQUEST_SECONDS(labels.face, labels.endpoint, labels.task_type).observe(elapsed)


def _key_id(state: dict[str, Any]) -> str | None:
    principal: Principal | None = state.get("principal")
    return None if principal is None else principal.key_id


async def settle(state: dict[str, Any], labels: RequestScope) -> None:
    """Replace the request's budget reservations with what it cost (nothing when it reserved none)."""
    tab: Tab | None = state.get("tab")
    if tab is None or not tab.held:
        return
    try:
        await tab.settle(labels.spent)
    except Exception as exc:  # the answer is sent; a lost settlement must not turn it into a 500
        log.warning("budget not settled", extra={"event": "budget.settle.error", "error": str(exc)})


async def account(state: dict[str, Any], labels: RequestScope, status: int) -> None:
    """Add the inference to its key's usage (in memory; written in batches) and token budget."""
    access: AccessControl | None = state.get("access")
    if access is None:
        return
    principal: Principal | None = state.get("principal")
    access.usage.record(
        key_id=principal.key_id if principal is not None else ANONYMOUS,
        inference_id=labels.endpoint,
        task_type=labels.task_type,
        status=status,
        input_tokens=labels.input_tokens,
        output_tokens=labels.output_tokens,
        latency_ms=(time.perf_counter() - labels.started) * 1000,
        cached_texts=labels.cache_hits,
        cost_micros=micros(spent(labels)),
    )
    if principal is not None and principal.tokens_per_minute is not None:
        await access.quota.charge(principal, labels.input_tokens + labels.output_tokens)


class GatewayKeys:
    """Finds who is calling: a gateway key (``Authorization: Bearer|ApiKey <key>``, ``x-api-key: <key>`` as
    Anthropic's clients send it, ``x-goog-api-key: <key>`` or ``?key=<key>`` as Google's do) or a page session.

    The gateway is open while no key exists (neither ``HFGATE_API_KEYS`` nor an active API key in the
    registry). Once one does, every route needs a key, except ``/health``, ``/ready``, ``/`` and the web page
    (``/ui…``), whose session cookie is read when present. The page's scripts call the API with the
    session cookie and its CSRF header instead of a key. The principal found is set for the request
    (:data:`hfgate.access.principal.CURRENT`, by :class:`hfgate.api.gateway.Gateway`); each route's guard
    (:mod:`hfgate.api.route_roles`) then checks its role. ``/metrics`` also takes ``metrics_key``
    (``HFGATE_METRICS_KEY``), and needs it when set even without gateway keys.
    """

    def __init__(self, *, metrics_key: str | None = None) -> None:
        self._metrics_key = metrics_key.encode() if metrics_key else None

    async def identify(self, scope: Scope, state: dict[str, Any]) -> Principal | None:
        """The caller, recorded in ``state`` (``access``; ``gated`` and ``principal`` once keys exist).

        Raises:
            HfGateError: a refused key, a missing one, or the registry away (503).
        """
        app_state = scope["app"].state
        access: AccessControl = app_state.access
        state["access"] = access
        if self._metrics_key is not None and scope["path"] == "/metrics":
            authorization = header(scope, b"authorization") or ""
            if hmac.compare_digest(_token(authorization).encode(), self._metrics_key):
                return None
            if not await access.ring.required():
                raise AuthenticationError(METRICS_KEY_NEEDED)
        if not await access.ring.required():
            return None
        state["gated"] = True
        principal: Principal | None
        if ON_BEHALF_OF in state:  # a batch line, sent from inside this process (hfgate.batches.calls)
            principal = await _batch_key(access, state[ON_BEHALF_OF])
        else:
            principal = await self._principal(scope, access, app_state.sessions, state=state)
        state["principal"] = principal
        return principal

    async def _principal(
        self, scope: Scope, access: AccessControl, sessions: SessionSigner, *, state: dict[str, object]
    ) -> Principal | None:
        authorization = header(scope, b"authorization")
        api_key = _api_key(scope)
        if authorization is None and api_key is not None:
            return await access.ring.resolve(api_key.strip())
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() not in ("bearer", "apikey"):
                raise AuthenticationError(f"unsupported authorization scheme [{scheme}]; send [Bearer <key>]")
            return await access.ring.resolve(token.strip())
        session = sessions.read(cookie_parser(header(scope, b"cookie") or "").get(COOKIE))
        page = _open(scope["path"])
        reading_page = page and scope["method"] in ("GET", "HEAD")
        if session is not None and (reading_page or self._csrf(scope, session)):
            state["session"] = session
            principal = await access.ring.by_id(session.key_id)
            if principal is not None or page:
                return principal
        if page:
            return None
        raise AuthenticationError(
            "missing authentication credentials for REST request; send the header [Authorization: Bearer <key>] "
            "with one of the keys in HFGATE_API_KEYS or an API key's [encoded] value"
        )

    def _csrf(self, scope: Scope, session: UiSession) -> bool:
        given = header(scope, CSRF_HEADER.encode())
        return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())


async def _batch_key(access: AccessControl, key_id: str) -> Principal:
    principal = await access.ring.by_id(key_id)
    if principal is None:
        raise AuthenticationError(f"the batch's API key [{key_id}] was revoked or has expired; create the batch again")
    return principal


METRICS_KEY_NEEDED = "/metrics needs [Authorization: Bearer <key>] with the key in HFGATE_METRICS_KEY"


def _api_key(scope: Scope) -> str | None:
    """A key sent the way Anthropic's clients send it (``x-api-key``) or Google's (``x-goog-api-key``, or
    ``?key=`` on Gemini's paths)."""
    found = header(scope, b"x-api-key") or header(scope, b"x-goog-api-key")
    if found is None and b"key=" in scope.get("query_string", b"") and face_of(scope["path"]) is GEMINI:
        found = next((v for k, v in parse_qsl(scope["query_string"].decode("latin-1")) if k == "key"), None)
    return found


def _token(authorization: str) -> str:
    return authorization.partition(" ")[2].strip()


class BodyLimit:
    """Refuses request bodies larger than ``max_bytes`` with 413, before reading them whole, and bodies
    that take longer than ``seconds`` to arrive with 408 (a slow-loris client holding a request open)."""

    def __init__(
        self, *, max_bytes: int, seconds: float = 60.0, upload_bytes: int | None = None, file_bytes: int | None = None
    ) -> None:
        self._max = max_bytes
        self._upload = upload_bytes or max_bytes
        self._file = file_bytes or self._upload
        self._seconds = seconds

    def limit(self, scope: Scope) -> Limit:
        """The request's limit, read once per request: a stored file's (``HFGATE_BATCH_FILE_MAX_BYTES``) for
        ``POST /v1/files``, a file's (``HFGATE_MAX_UPLOAD_BYTES``) for a body sent as a file (audio, multipart),
        else ``HFGATE_MAX_BODY_BYTES``."""
        if scope["path"] == "/v1/files":
            return Limit(self._file, "HFGATE_BATCH_FILE_MAX_BYTES", "split the file")
        kind = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if kind.startswith(FILE_TYPES) or kind in ("application/octet-stream", "multipart/form-data"):
            return Limit(self._upload, "HFGATE_MAX_UPLOAD_BYTES", "send a shorter file")
        return Limit(self._max, "HFGATE_MAX_BODY_BYTES", "send fewer or shorter inputs per request")

    def declared_too_large(self, scope: Scope, limit: Limit) -> PayloadTooLargeError | None:
        """The error for a request whose ``content-length`` is over ``limit``."""
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit.bytes:
            return limit.error(int(declared))
        return None

    def counting(self, receive: Receive, labels: RequestScope | None, limit: Limit) -> Receive:
        """``receive``, raising once the body grows past ``limit`` or its deadline passes; the bytes read
        are added to ``labels.body_bytes`` (a budget's bound on the request's input tokens)."""
        seen = 0
        deadline = asyncio.get_running_loop().time() + self._seconds
        complete = False

        async def counted() -> Message:
            nonlocal seen, complete
            if complete:  # after the body, receive waits for a disconnect: no deadline on that
                return await receive()
            try:
                if _arrived(receive):  # nothing to wait for, no deadline to arm
                    message = await receive()
                else:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
            except TimeoutError:
                raise RequestTimeoutError(
                    f"the request body did not arrive within [{self._seconds:g}s] (HFGATE_BODY_TIMEOUT_SECONDS); "
                    "send it whole, without pauses"
                ) from None
            complete = not message.get("more_body", False)
            seen += len(message.get("body", b""))
            if labels is not None:
                labels.body_bytes = seen
            if seen > limit.bytes:
                raise limit.error(seen)
            return message

        return counted


class Limit(NamedTuple):
    """A request body's limit in bytes, the setting that sets it, and what to send instead."""

    bytes: int
    setting: str
    fix: str

    def error(self, size: int) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"request body is too large: [{size}] bytes, the limit is [{self.bytes}] bytes ({self.setting}); {self.fix}"
        )


FILE_TYPES = ("audio/", "video/", "image/")
"""Content-Types of a body that is a file (read up to ``HFGATE_MAX_UPLOAD_BYTES``)."""


def _arrived(receive: Receive) -> bool:
    """Whether the server holds the whole request body already, so that ``receive`` cannot wait: known
    of uvicorn's receive (a method of its request cycle, whose ``more_body`` turns false once the body's
    last byte arrived), the usual case for a small body sent with its headers."""
    return getattr(getattr(receive, "__self__", None), "more_body", True) is False


def _open(path: str) -> bool:
    return path in ("/health", "/ready", "/", "/ui") or path.startswith("/ui/")


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` lower-case), decoded."""
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None
