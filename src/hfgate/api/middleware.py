"""ASGI middleware: request ids and access logs, gateway API keys, and the body size limit.

Written against raw ASGI (not ``BaseHTTPMiddleware``) because they run on every request and must
cost microseconds, and so that streaming responses pass through untouched.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hfgate.access.control import AccessControl
from hfgate.access.principal import CURRENT, Principal
from hfgate.access.usage import ANONYMOUS
from hfgate.api.es.cluster import PRODUCT_HEADER, speaks_elasticsearch
from hfgate.api.ui.session import COOKIE, CSRF_HEADER, SessionSigner, UiSession
from hfgate.errors import AuthenticationError, HfGateError, PayloadTooLargeError, RequestTimeoutError
from hfgate.telemetry.metrics import REQUEST_SECONDS, REQUESTS
from hfgate.telemetry.request_scope import CURRENT as CURRENT_SCOPE
from hfgate.telemetry.request_scope import RequestScope, face_of
from hfgate.telemetry.tracing import end_request_span, request_span

log = logging.getLogger("hfgate.access")

Render = Callable[[str, HfGateError], Response]


class RequestContext:
    """Gives each request an id (``X-Request-Id``, kept if the client sent one), logs its outcome and
    counts it in the request metrics (labels from its :class:`RequestScope`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or os.urandom(16).hex()  # as random as uuid4, 4x cheaper
        scope.setdefault("state", {})["request_id"] = request_id
        labels = RequestScope(face_of(scope["path"]))
        product = speaks_elasticsearch(scope["path"])
        token = CURRENT_SCOPE.set(labels)
        started = labels.started
        span = request_span(scope["method"], scope["path"], face=labels.face)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", request_id.encode()))
                if product:
                    headers.append(PRODUCT_HEADER)
                if labels.served_by:
                    headers.append((b"x-hfgate-served-by", labels.served_by.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CURRENT_SCOPE.reset(token)
            _count(labels, status)
            if labels.endpoint:
                await _account(scope["state"], labels, status)
            if span is not None:
                end_request_span(span, status=status, endpoint=labels.endpoint)
            if log.isEnabledFor(logging.INFO):  # with the level above info, no line and no work for it
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
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )


def _count(labels: RequestScope, status: int) -> None:
    REQUESTS(labels.face, labels.endpoint, labels.task_type, str(status)).inc()
    elapsed = time.perf_counter() - labels.started
    REQUEST_SECONDS(labels.face, labels.endpoint, labels.task_type).observe(elapsed)


def _key_id(state: dict[str, Any]) -> str | None:
    principal: Principal | None = state.get("principal")
    return None if principal is None else principal.key_id


async def _account(state: dict[str, Any], labels: RequestScope, status: int) -> None:
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
    )
    if principal is not None and principal.tokens_per_minute is not None:
        await access.quota.charge(principal, labels.input_tokens + labels.output_tokens)


class GatewayAuth:
    """Finds who is calling: a gateway key (``Authorization: Bearer|ApiKey <key>``) or a page session.

    The gateway is open while no key exists (neither ``HFGATE_API_KEYS`` nor an active API key in the
    registry). Once one does, every route needs a key, except ``/health``, ``/`` and the web page
    (``/ui…``), whose session cookie is read when present. The page's scripts call the API with the
    session cookie and its CSRF header instead of a key. The principal found is set for the request
    (:data:`hfgate.access.principal.CURRENT`); each route's guard (:mod:`hfgate.api.route_roles`) then
    checks its role. ``/metrics`` also takes ``metrics_key`` (``HFGATE_METRICS_KEY``), and needs it when
    set even without gateway keys.
    """

    def __init__(self, app: ASGIApp, *, render: Render, metrics_key: str | None = None) -> None:
        self.app = app
        self._metrics_key = metrics_key.encode() if metrics_key else None
        self._render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        app_state = scope["app"].state
        access: AccessControl = app_state.access
        state["access"] = access
        if self._metrics_key is not None and scope["path"] == "/metrics":
            authorization = _header(scope, b"authorization") or ""
            if hmac.compare_digest(_token(authorization).encode(), self._metrics_key):
                await self.app(scope, receive, send)
                return
            if not await access.ring.required():
                await self._refuse(scope, receive, send, AuthenticationError(METRICS_KEY_NEEDED))
                return
        if not await access.ring.required():
            await self.app(scope, receive, send)
            return
        state["gated"] = True
        try:
            principal = await self._principal(scope, access, app_state.sessions, state=state)
        except HfGateError as error:  # a refused key, or the registry away (503)
            await self._refuse(scope, receive, send, error)
            return
        token = CURRENT.set(principal)
        state["principal"] = principal
        try:
            await self.app(scope, receive, send)
        finally:
            CURRENT.reset(token)

    async def _principal(
        self, scope: Scope, access: AccessControl, sessions: SessionSigner, *, state: dict[str, object]
    ) -> Principal | None:
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() not in ("bearer", "apikey"):
                raise AuthenticationError(f"unsupported authorization scheme [{scheme}]; send [Bearer <key>]")
            return await access.ring.resolve(token.strip())
        session = sessions.read(cookie_parser(_header(scope, b"cookie") or "").get(COOKIE))
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
        given = _header(scope, CSRF_HEADER.encode())
        return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: HfGateError) -> None:
        await self._render(scope["path"], error)(scope, receive, send)


METRICS_KEY_NEEDED = "/metrics needs [Authorization: Bearer <key>] with the key in HFGATE_METRICS_KEY"


def _token(authorization: str) -> str:
    return authorization.partition(" ")[2].strip()


class BodyLimit:
    """Refuses request bodies larger than ``max_bytes`` with 413, before reading them whole, and bodies
    that take longer than ``seconds`` to arrive with 408 (a slow-loris client holding a request open)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, render: Render, seconds: float = 60.0) -> None:
        self.app = app
        self._max = max_bytes
        self._render = render
        self._seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max:
            await self._render(scope["path"], self._error(int(declared)))(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0
        deadline = asyncio.get_running_loop().time() + self._seconds
        complete = False

        async def counted() -> Message:
            nonlocal seen, complete
            if complete:  # after the body, receive waits for a disconnect: no deadline on that
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeoutError(
                    f"the request body did not arrive within [{self._seconds:g}s] (HFGATE_BODY_TIMEOUT_SECONDS); "
                    "send it whole, without pauses"
                ) from None
            complete = not message.get("more_body", False)
            seen += len(message.get("body", b""))
            if seen > self._max:
                raise self._error(seen)
            return message

        return counted

    def _error(self, size: int) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"request body is too large: [{size}] bytes, the limit is [{self._max}] bytes "
            "(HFGATE_MAX_BODY_BYTES); send fewer or shorter inputs per request"
        )


def _open(path: str) -> bool:
    return path in ("/health", "/", "/ui") or path.startswith("/ui/")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None
