"""Stored answers of the Responses API (``/v1/responses``), so ``previous_response_id`` works on any replica.

A row holds one response object and the conversation it ends (input items and output items, as JSON),
the key that made it, and when it stops being readable. Expired rows are never returned and are
deleted in passing (at most once a minute per process), so the table holds about one retention period.

Example:
    >>> store = ResponseStore(engine)
    >>> store.put(StoredResponse(response_id="resp_1", key_id="k", inference_id="e", body={...}), retention=h)
    >>> store.get("resp_1")
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, delete, insert, select

from hfgate.registry.api_keys import aware
from hfgate.registry.database import writing
from hfgate.registry.endpoint import utcnow
from hfgate.registry.failures import translated
from hfgate.registry.schema import responses

_PURGE_EVERY_SECONDS = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredResponse:
    """One stored response.

    Args:
        response_id: ``resp_…``, as the client saw it.
        key_id: the gateway key that made it (``""`` on a gateway without keys); only it may read it.
        inference_id: the endpoint that answered.
        body: ``{"response": <the response object>, "conversation": [<items>]}``.
    """

    response_id: str
    key_id: str
    inference_id: str
    body: dict[str, Any]
    created_at: datetime = field(default_factory=utcnow)
    expires_at: datetime | None = None
    size_bytes: int = 0


class ResponseStore:
    """Responses in the registry database (SQLite or PostgreSQL), shared by every replica."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writing(engine)
        self._purged_at = 0.0

    def put(self, stored: StoredResponse, *, retention: timedelta) -> None:
        """Store ``stored`` (the body as given), readable for ``retention``."""
        text = json.dumps(stored.body, ensure_ascii=False, separators=(",", ":"))
        row = {
            "response_id": stored.response_id,
            "key_id": stored.key_id,
            "inference_id": stored.inference_id,
            "created_at": stored.created_at,
            "expires_at": stored.created_at + retention,
            "size_bytes": len(text.encode()),
            "body": text,
        }
        with translated(), self._writer.begin() as conn:
            conn.execute(insert(responses).values(**row))
        self._purge_now_and_then()

    def get(self, response_id: str) -> StoredResponse | None:
        """The response, or ``None`` when unknown or expired."""
        query = select(responses).where(responses.c.response_id == response_id, responses.c.expires_at > utcnow())
        with translated(), self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _stored(row)

    def list(self, *, key_id: str | None = None, limit: int = 100) -> list[StoredResponse]:
        """Unexpired responses, newest first, of one key when given."""
        query = select(responses).where(responses.c.expires_at > utcnow())
        if key_id is not None:
            query = query.where(responses.c.key_id == key_id)
        query = query.order_by(responses.c.created_at.desc(), responses.c.response_id).limit(limit)
        with translated(), self._engine.connect() as conn:
            return [_stored(row) for row in conn.execute(query)]

    def delete(self, response_id: str) -> bool:
        """Delete a response; whether it existed."""
        with translated(), self._writer.begin() as conn:
            gone = conn.execute(delete(responses).where(responses.c.response_id == response_id))
        return bool(gone.rowcount)

    def purge_expired(self) -> int:
        """Delete every expired response; how many."""
        with translated(), self._writer.begin() as conn:
            gone = conn.execute(delete(responses).where(responses.c.expires_at <= utcnow()))
        return int(gone.rowcount)

    def _purge_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._purged_at >= _PURGE_EVERY_SECONDS:
            self._purged_at = now
            self.purge_expired()


def _stored(row: Row[tuple[object, ...]]) -> StoredResponse:
    return StoredResponse(
        response_id=row.response_id,
        key_id=row.key_id,
        inference_id=row.inference_id,
        body=json.loads(row.body),
        created_at=aware(row.created_at),
        expires_at=aware(row.expires_at),
        size_bytes=row.size_bytes,
    )
