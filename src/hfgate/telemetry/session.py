"""Which agent session a request belongs to, as the agents name it, for the access log and affinity.

- Claude Code sends ``X-Claude-Code-Session-Id`` on every request, and in the Messages body
  ``metadata.user_id``: a JSON string with ``session_id`` (2.1.x), or ``user_…_account_…_session_<uuid>``
  in older releases.
- Codex sends a ``session-id`` header (0.169.0; its ``codex-rs/core/src/client.rs``).

- OpenAI's ``prompt_cache_key`` (chat completions, responses) names the client's cache key: a session too.

The gateway reads the headers for every face; the OpenAI face falls back to ``prompt_cache_key``, the
Messages face to ``metadata.user_id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson

from hfgate.telemetry.request_scope import CURRENT

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
