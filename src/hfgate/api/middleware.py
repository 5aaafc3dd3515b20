"""The parts of hfgate's per-request work that :class:`hfgate.api.gateway.Gateway` runs: gateway keys,
the body size limit, and what a finished request leaves behind (metrics, usage, the access log).

Plain objects and functions, not ASGI layers: the gateway runs them all in one layer, since every
layer of ASGI calls costs each request its frames and its ``send`` wrapper.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import cookie_parser
from starlette.types import Message, Receive, Scope

from hfgate.access.control import AccessControl
from hfgate.access.principal import Principal
from hfgate.access.spend import Tab, micros
from hfgate.access.usage import ANONYMOUS
from hfgate.api.faces import face_of
from hfgate.api.gemini.errors import FACE as GEMINI
from hfgate.api.ui.session import COOKIE, CSRF_HEADER, SessionSigner, UiSession
from hfgate.errors import AuthenticationError, PayloadTooLargeError, RequestTimeoutError
from hfgate.telemetry.metrics import REQUEST_SECONDS, REQUESTS
from hfgate.telemetry.request_scope import RequestScope, spent

log = logging.getLogger("hfgate.access")


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


METRICS_KEY_NEEDED = "/metrics needs [Authorization: Bearer <key>] with the key in HFGATE_METRICS_KEY"


def _api_key(scope: Scope) -> str | None:
    """A key sent the way Anthropic's clients send it (``x-api-key``) or Google's (``x-goog-api-key``, or
    ``?key=`` on Gemini's paths)."""
    found = header(scope, b"x-api-key") or header(scope, b"x-goog-api-key")
    if found is None and face_of(scope["path"]) is GEMINI and b"key=" in scope.get("query_string", b""):
        found = next((v for k, v in parse_qsl(scope["query_string"].decode("latin-1")) if k == "key"), None)
    return found


def _token(authorization: str) -> str:
    return authorization.partition(" ")[2].strip()


class BodyLimit:
    """Refuses request bodies larger than ``max_bytes`` with 413, before reading them whole, and bodies
    that take longer than ``seconds`` to arrive with 408 (a slow-loris client holding a request open)."""

    def __init__(self, *, max_bytes: int, seconds: float = 60.0) -> None:
        self._max = max_bytes
        self._seconds = seconds

    def declared_too_large(self, scope: Scope) -> PayloadTooLargeError | None:
        """The error for a request whose ``content-length`` is over the limit."""
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max:
            return self._error(int(declared))
        return None

    def counting(self, receive: Receive, labels: RequestScope | None = None) -> Receive:
        """``receive``, raising once the body grows past the limit or its deadline passes; the bytes read
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
            if seen > self._max:
                raise self._error(seen)
            return message

        return counted

    def _error(self, size: int) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"request body is too large: [{size}] bytes, the limit is [{self._max}] bytes "
            "(HFGATE_MAX_BODY_BYTES); send fewer or shorter inputs per request"
        )


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
