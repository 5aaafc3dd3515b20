"""The gateway keys' store: create, read, list and revoke keys (only the secret's hash is kept).

Synchronous (SQLAlchemy Core) like the endpoint store; callers run it in worker threads.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, or_, select, update

from hfgate.registry.database import writing
from hfgate.registry.endpoint import utcnow
from hfgate.registry.failures import translated
from hfgate.registry.schema import api_keys


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredKey:
    """One key's row: what it may do, its limits, and its life (never its secret)."""

    key_id: str
    name: str
    secret_hash: str
    roles: tuple[str, ...]
    endpoints: tuple[str, ...] = ()
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    day_budget: int | None = None
    """Micro-dollars the key may spend per UTC day (``limits.usd_per_day``)."""
    month_budget: int | None = None
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Elasticsearch's free-form ``metadata`` given at creation."""

    def active(self, now: datetime | None = None) -> bool:
        """Neither revoked nor expired."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > (now or utcnow())


class KeyStore:
    """Persistent gateway keys.

    Args:
        engine: from :func:`hfgate.registry.database.make_engine`, already migrated.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writing(engine)

    def create(self, key: StoredKey) -> None:
        with translated(), self._writer.begin() as conn:
            conn.execute(insert(api_keys).values(**_row(key)))

    def get(self, key_id: str) -> StoredKey | None:
        with translated(), self._engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        return None if row is None else _key(row)

    def list(self, *, key_id: str | None = None, name: str | None = None) -> list[StoredKey]:
        """Every key (revoked ones too), oldest first, or those with that id or name."""
        query = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id)
        if key_id is not None:
            query = query.where(api_keys.c.key_id == key_id)
        if name is not None:
            query = query.where(api_keys.c.name == name)
        with translated(), self._engine.connect() as conn:
            return [_key(row) for row in conn.execute(query)]

    def revoke(self, ids: Sequence[str]) -> tuple[builtins.list[str], builtins.list[str]]:
        """Revoke keys by id: (revoked now, revoked before); unknown ids are in neither."""
        now = utcnow()
        with translated(), self._writer.begin() as conn:
            rows = conn.execute(select(api_keys.c.key_id, api_keys.c.revoked_at).where(api_keys.c.key_id.in_(ids)))
            found = {row.key_id: row.revoked_at for row in rows}
            fresh = [key_id for key_id in ids if key_id in found and found[key_id] is None]
            if fresh:
                conn.execute(update(api_keys).where(api_keys.c.key_id.in_(fresh)).values(revoked_at=now))
        return fresh, [key_id for key_id in ids if found.get(key_id) is not None]

    def amend(
        self, ids: Sequence[str], *, roles: Sequence[str], endpoints: Sequence[str],
        requests_per_minute: int | None, tokens_per_minute: int | None,
        day_budget: int | None = None, month_budget: int | None = None,
    ) -> None:  # fmt: skip
        """Set the roles, endpoints and limits of keys (``hfgate apply``); their secrets and lives stay."""
        values = {
            "roles": json.dumps(list(roles)),
            "endpoints": json.dumps(list(endpoints)),
            "requests_per_minute": requests_per_minute,
            "tokens_per_minute": tokens_per_minute,
            "day_budget": day_budget,
            "month_budget": month_budget,
        }
        with translated(), self._writer.begin() as conn:
            conn.execute(update(api_keys).where(api_keys.c.key_id.in_(list(ids))).values(**values))

    def revise(self, key: StoredKey) -> None:
        """Write a key's roles, endpoints, metadata and expiry (an update; its secret, name and limits stay)."""
        row = _row(key)
        values = {name: row[name] for name in ("roles", "endpoints", "metadata", "expires_at")}
        with translated(), self._writer.begin() as conn:
            conn.execute(update(api_keys).where(api_keys.c.key_id == key.key_id).values(**values))

    def any_active(self) -> bool:
        """Whether at least one key is neither revoked nor expired (the gateway then needs a key)."""
        alive = or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > utcnow())
        query = select(api_keys.c.key_id).where(api_keys.c.revoked_at.is_(None), alive).limit(1)
        with translated(), self._engine.connect() as conn:
            return conn.execute(query).first() is not None


def _row(key: StoredKey) -> dict[str, object]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "secret_hash": key.secret_hash,
        "roles": json.dumps(list(key.roles)),
        "endpoints": json.dumps(list(key.endpoints)),
        "requests_per_minute": key.requests_per_minute,
        "tokens_per_minute": key.tokens_per_minute,
        "day_budget": key.day_budget,
        "month_budget": key.month_budget,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "metadata": json.dumps(dict(key.metadata)) if key.metadata else None,
    }


def _key(row: Row[tuple[object, ...]]) -> StoredKey:
    return StoredKey(
        key_id=row.key_id,
        name=row.name,
        secret_hash=row.secret_hash,
        roles=tuple(json.loads(row.roles)),
        endpoints=tuple(json.loads(row.endpoints)),
        requests_per_minute=row.requests_per_minute,
        tokens_per_minute=row.tokens_per_minute,
        day_budget=row.day_budget,
        month_budget=row.month_budget,
        created_at=aware(row.created_at),
        expires_at=None if row.expires_at is None else aware(row.expires_at),
        revoked_at=None if row.revoked_at is None else aware(row.revoked_at),
        metadata={} if row.metadata is None else json.loads(row.metadata),
    )


def aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
