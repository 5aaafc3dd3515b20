"""The labels of the request being served, filled in as it goes, read when it ends.

The gateway opens a :class:`RequestScope` with the face (``api.faces``); the orchestrator names the endpoint
and task type once it has looked them up. A context variable carries it, so no layer passes it on.

Its ``session`` is the agent session the request belongs to, as the agents name it, for the access log and
affinity:

- Claude Code sends ``X-Claude-Code-Session-Id`` on every request, and in the Messages body
  ``metadata.user_id``: a JSON string with ``session_id`` (2.1.x), or ``user_…_account_…_session_<uuid>``
  in older releases.
- Codex sends a ``session-id`` header (0.171.0; its ``codex-rs/core/src/client.rs``).

- OpenAI's ``prompt_cache_key`` (chat completions, responses) names the client's cache key: a session too.

The gateway reads the headers for every face; the OpenAI face falls back to ``prompt_cache_key``, the
Messages face to ``metadata.user_id``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import orjson


class RequestScope:
    """One request's metric labels and start time."""

    __slots__ = (
        "affinity",
        "affinity_key",
        "body_bytes",
        "cache_hits",
        "cache_misses",
        "cache_wanted",
        "cached_tokens",
        "endpoint",
        "face",
        "input_tokens",
        "output_tokens",
        "served_by",
        "session",
        "spent",
        "started",
        "task_type",
        "upstream",
    )

    def __init__(self, face: str, *, cache_wanted: bool = True) -> None:
        self.face = face
        self.cache_wanted = cache_wanted
        self.cache_hits = 0
        self.cache_misses = 0
        self.endpoint = ""
        self.task_type = ""
        self.served_by = ""
        self.session = ""
        """The agent session the request belongs to, when the client names one (:func:`from_headers`)."""
        self.upstream = ""
        """The url that served the request, for an endpoint of several ``urls``."""
        self.affinity = ""
        """Why that url: ``kept``, ``moved`` or ``none`` (``upstream.http.affinity``); empty when off."""
        self.affinity_key = ""
        """Where the session key came from: ``session`` or ``conversation`` (empty: none)."""
        self.input_tokens = 0
        self.output_tokens = 0
        self.cached_tokens = 0
        self.body_bytes = 0
        self.spent: dict[str, Decimal] = {}
        """Micro-dollars spent, per endpoint (one, unless a fallback served): ``hfgate.access.spend``."""
        self.started = time.perf_counter()


CURRENT: ContextVar[RequestScope | None] = ContextVar("hfgate_request_scope", default=None)


def name_endpoint(endpoint: str, task_type: str) -> None:
    """Record which endpoint the current request runs on (nothing outside a request)."""
    scope = CURRENT.get()
    if scope is not None:
        scope.endpoint = endpoint
        scope.task_type = task_type


def add_tokens(*, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> None:
    """Count the tokens the current request read and wrote (for its key's usage and limits)."""
    scope = CURRENT.get()
    if scope is not None:
        scope.input_tokens += input_tokens
        scope.output_tokens += output_tokens
        scope.cached_tokens += cached_tokens


def add_spend(inference_id: str, micros: Decimal) -> None:
    """Count what the current request's tokens on ``inference_id`` cost, in micro-dollars."""
    scope = CURRENT.get()
    if scope is not None and micros:
        scope.spent[inference_id] = scope.spent.get(inference_id, Decimal(0)) + micros


def spent(scope: RequestScope) -> Decimal:
    """What the request cost in all, in micro-dollars."""
    return sum(scope.spent.values(), Decimal(0))


def body_bytes() -> int:
    """The bytes of the current request's body read so far (0 outside a request)."""
    scope = CURRENT.get()
    return scope.body_bytes if scope is not None else 0


def request_started() -> float | None:
    """``perf_counter`` at the start of the current request, if there is one."""
    scope = CURRENT.get()
    return scope.started if scope is not None else None


def name_server(served_by: str) -> None:
    """Record which provider or engine answered the current request (``X-HFGate-Served-By``)."""
    scope = CURRENT.get()
    if scope is not None:
        scope.served_by = served_by


def name_upstream(url: str, *, affinity: str, key_source: str) -> None:
    """Record which of an endpoint's several urls the current request went to, and why."""
    scope = CURRENT.get()
    if scope is not None:
        scope.upstream, scope.affinity, scope.affinity_key = url, affinity, key_source


def current_session() -> str:
    """The agent session the current request names (empty when none, or outside a request)."""
    scope = CURRENT.get()
    return scope.session if scope is not None else ""


def cache_wanted() -> bool:
    """Whether the current request lets the embedding cache serve it (not ``?cache=false``)."""
    scope = CURRENT.get()
    return scope is None or scope.cache_wanted


def count_cached(*, hits: int, misses: int) -> None:
    """Count the texts the embedding cache served (``hits``) and those computed (``misses``)."""
    scope = CURRENT.get()
    if scope is not None:
        scope.cache_hits += hits
        scope.cache_misses += misses


def cache_outcome(scope: RequestScope) -> str | None:
    """``X-HFGate-Cache``: ``hit`` (every text served from the cache), ``miss`` (none), ``partial``;
    ``None`` when the cache was not asked.

    Example:
        >>> scope = RequestScope("openai"); scope.cache_hits, scope.cache_misses = 2, 1
        >>> cache_outcome(scope)
        'partial'
    """
    if not scope.cache_hits:
        return "miss" if scope.cache_misses else None
    return "partial" if scope.cache_misses else "hit"


HEADERS = (b"x-claude-code-session-id", b"session-id")
"""The request headers that name a session, in the order they are read."""

_OLD_USER_ID = re.compile(r"_session_([0-9A-Za-z-]{8,64})$")
_LONGEST = 128


def from_headers(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The session a request's headers name (an agent sends one of :data:`HEADERS`), or empty; one pass.

    Example:
        >>> from_headers([(b"accept", b"*/*"), (b"session-id", b"01a2")])
        '01a2'
    """
    for key, value in headers:
        if key in HEADERS:
            return value[:_LONGEST].decode("latin-1")
    return ""


def from_metadata(metadata: Any) -> str:
    """The session named by a Messages request's ``metadata.user_id`` (empty when it names none).

    Example:
        >>> from_metadata({"user_id": '{"device_id": "d1", "session_id": "5f0c"}'})
        '5f0c'
        >>> from_metadata({"user_id": "user_ab12_account__session_0b1f2c3d-aaaa"})
        '0b1f2c3d-aaaa'
    """
    user_id = metadata.get("user_id") if isinstance(metadata, dict) else None
    if not isinstance(user_id, str):
        return ""
    if user_id.startswith("{"):
        try:
            parsed = orjson.loads(user_id)
        except orjson.JSONDecodeError:
            return ""
        session = parsed.get("session_id") if isinstance(parsed, dict) else None
        return session[:_LONGEST] if isinstance(session, str) else ""
    found = _OLD_USER_ID.search(user_id)
    return found.group(1) if found else ""


def name_session(session: str) -> None:
    """Record the current request's session, unless one is already known (a header wins over the body)."""
    scope = CURRENT.get()
    if scope is not None and session and not scope.session:
        scope.session = session[:_LONGEST]
