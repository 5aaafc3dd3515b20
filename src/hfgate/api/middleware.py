"""ASGI middleware: request ids and access logs, gateway API keys, and the body size limit.

Written against raw ASGI (not ``BaseHTTPMiddleware``) because they run on every request and must
cost microseconds, and so that streaming responses pass through untouched.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable

from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hfgate.api.es.cluster import PRODUCT_HEADER, speaks_elasticsearch
from hfgate.api.ui.session import COOKIE, CSRF_HEADER, SessionSigner
from hfgate.errors import AuthenticationError, HfGateError, PayloadTooLargeError
from hfgate.telemetry.metrics import REQUEST_SECONDS, REQUESTS
from hfgate.telemetry.request_scope import CURRENT, RequestScope, face_of
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
        token = CURRENT.set(labels)
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
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CURRENT.reset(token)
            _count(labels, status)
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
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )


def _count(labels: RequestScope, status: int) -> None:
    REQUESTS(labels.face, labels.endpoint, labels.task_type, str(status)).inc()
    elapsed = time.perf_counter() - labels.started
    REQUEST_SECONDS(labels.face, labels.endpoint, labels.task_type).observe(elapsed)


class GatewayAuth:
    """When API keys are configured, every route needs ``Authorization: Bearer <key>``.

    Open: ``/health``, and the web page (``/``, ``/ui…``), whose router checks its own login. The
    page's scripts call the API with the session cookie and its CSRF header instead of a key.
    ``/metrics`` also takes ``metrics_key`` (``HFGATE_METRICS_KEY``), and needs it when set even
    without gateway keys.
    """

    def __init__(self, app: ASGIApp, *, keys: list[str], render: Render, metrics_key: str | None = None) -> None:
        self.app = app
        self._keys = [key.encode() for key in keys]
        self._metrics_key = metrics_key.encode() if metrics_key else None
        self._sessions = SessionSigner(keys)
        self._render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._metrics_key is not None and scope["type"] == "http" and scope["path"] == "/metrics":
            await self._metrics(scope, receive, send, key=self._metrics_key)
            return
        if scope["type"] != "http" or not self._keys or _open(scope["path"]):
            await self.app(scope, receive, send)
            return
        await self._guarded(scope, receive, send)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send, *, key: bytes) -> None:
        _, _, token = (_header(scope, b"authorization") or "").partition(" ")
        if hmac.compare_digest(token.strip().encode(), key):
            await self.app(scope, receive, send)
        elif self._keys:
            await self._guarded(scope, receive, send)
        else:
            refusal = AuthenticationError(
                "/metrics needs [Authorization: Bearer <key>] with the key in HFGATE_METRICS_KEY"
            )
            await self._render(scope["path"], refusal)(scope, receive, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = _header(scope, b"authorization")
        error = None if authorization is None and self._from_page(scope) else self._refusal(authorization)
        if error is None:
            await self.app(scope, receive, send)
            return
        await self._render(scope["path"], error)(scope, receive, send)

    def _from_page(self, scope: Scope) -> bool:
        cookie = cookie_parser(_header(scope, b"cookie") or "").get(COOKIE)
        return self._sessions.allows(cookie, _header(scope, CSRF_HEADER.encode()))

    def _refusal(self, header: str | None) -> AuthenticationError | None:
        if header is None:
            return AuthenticationError(
                "missing authentication credentials for REST request; send the header "
                "[Authorization: Bearer <key>] with one of the keys in HFGATE_API_KEYS"
            )
        scheme, _, token = header.partition(" ")
        given = token.strip().encode()
        if scheme.lower() != "bearer" or not any(hmac.compare_digest(given, key) for key in self._keys):
            return AuthenticationError(
                "unable to authenticate with the provided credentials; the bearer token is not one of "
                "the keys in HFGATE_API_KEYS"
            )
        return None


class BodyLimit:
    """Refuses request bodies larger than ``max_bytes`` with 413, before reading them whole."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, render: Render) -> None:
        self.app = app
        self._max = max_bytes
        self._render = render

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

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
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
