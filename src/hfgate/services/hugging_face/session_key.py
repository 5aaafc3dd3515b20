"""Which session a generation request belongs to, for session affinity over an endpoint's several ``urls``.

The key, in order:

1. the session the client names (``X-Claude-Code-Session-Id``, Codex's ``session-id`` header, OpenAI's
   ``prompt_cache_key``, the Messages body's ``metadata.user_id``), as the gateway and the faces record
   it (:mod:`hfgate.telemetry.request_scope`);
2. else, for a chat, a hash of the conversation's first messages: its first system message and its first
   user message, which stay the same on every turn of one conversation (a ``/v1/responses`` turn that
   continues ``previous_response_id`` carries the stored turns before its own, so a chain of responses
   keeps its key too);
3. else none: a completion's bare prompt is not hashed (its head is often a prompt shared by every
   session), and the request goes to the least busy upstream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from hfgate.chat.messages import ChatMessage
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import ChatRequest, GenerateRequest
from hfgate.telemetry.request_scope import current_session
from hfgate.upstream.http.affinity import SessionKey


def affinity_of(settings: HfSettings, request: object) -> SessionKey | None:
    """The key of a generation (a chat by its messages, a prompt by its named session only); ``None`` for
    embeddings and rerank, whose servers keep no prefix cache to return to."""
    if isinstance(request, ChatRequest):
        return session_key(settings, request.messages)
    return session_key(settings) if isinstance(request, GenerateRequest) else None


def session_key(settings: HfSettings, messages: Sequence[ChatMessage] = ()) -> SessionKey | None:
    """The request's session key; ``None`` when affinity does not apply (one url, or turned off).

    Example:
        >>> many = HfSettings(urls=("http://a", "http://b"))
        >>> session_key(many, [ChatMessage(role="user", content="hi")]).source
        'conversation'
        >>> session_key(HfSettings(url="http://a")) is None
        True
    """
    if len(settings.urls) < 2 or not settings.session_affinity:
        return None
    session = current_session()
    if session:
        return SessionKey(key=f"session:{session}", source="session")
    opening = _opening(messages)
    if opening:
        return SessionKey(key=f"conversation:{opening}", source="conversation")
    return SessionKey()


def _opening(messages: Sequence[ChatMessage]) -> str:
    """A hash of the first system and first user message (empty without a user message)."""
    system = next((m.content for m in messages if m.role in ("system", "developer")), "")
    user = next((m for m in messages if m.role == "user"), None)
    if user is None:
        return ""
    parts = [system, user.content, *(str(part) for part in user.parts)]
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()
