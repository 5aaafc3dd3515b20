"""The access layer of one running hfgate: its keys, their cache, limits and usage, built together.

Example:
    >>> access = AccessControl.build(settings, engine=engine, changes=changes, redis=None)
    >>> # await access.start(); issued, stored = await access.create_key(request) … await access.aclose()
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

import redis.asyncio as aioredis
from sqlalchemy import Engine

from hfgate.access.budget_store import BudgetStore, LocalBudgets, RedisBudgets
from hfgate.access.key_body import KeyRequest, KeyUpdate
from hfgate.access.principal import KEY_TOPIC, KeyRing
from hfgate.access.spend import UsageRecorder
from hfgate.access.tokens import IssuedKey, hash_secret, issue
from hfgate.config import Settings
from hfgate.errors import NotFoundError, RequestValidationError
from hfgate.fleet.changes import LocalChanges
from hfgate.ratelimit.outage import connect
from hfgate.ratelimit.quota import LocalQuota, Quota
from hfgate.ratelimit.redis_quota import RedisQuota
from hfgate.registry.api_keys import KeyStore, StoredKey
from hfgate.registry.endpoint import utcnow
from hfgate.registry.usage_store import UsageStore

log = logging.getLogger("hfgate.keys")


@dataclass(slots=True)
class AccessControl:
    """Keys (store and cache), per-key limits, usage (recorder and store), and budgets' counters."""

    keys: KeyStore
    ring: KeyRing
    quota: Quota
    usage: UsageRecorder
    usage_store: UsageStore
    changes: LocalChanges
    session_key: bytes
    previous_session_key: bytes | None = None
    owned_redis: aioredis.Redis | None = None
    budgets: BudgetStore = field(default_factory=LocalBudgets)

    @classmethod
    def build(
        cls, settings: Settings, *, engine: Engine, changes: LocalChanges, redis: aioredis.Redis | None,
        session_key: bytes, previous_session_key: bytes | None = None,
    ) -> AccessControl:  # fmt: skip
        """``redis``: the fleet limiter's client, when ``HFGATE_REDIS_URL`` is set (limits then shared);
        ``session_key``: signs the web page's sessions (the same on every replica); ``previous_session_key``:
        also reads them, while the secret key is rotated."""
        keys = KeyStore(engine)
        ring = KeyRing(keys, bootstrap=settings.api_keys, ttl_seconds=settings.registry_cache_seconds)
        ring.listen(changes)
        local = LocalQuota(share=1 / settings.replicas)
        quota: Quota = local
        own_budgets = LocalBudgets(share=1 / settings.replicas)
        budgets: BudgetStore = own_budgets
        owned = None
        if redis is None and settings.redis_url is not None:  # the fleet's limiter is not ours to share
            redis = owned = connect(settings.redis_url)
        if redis is not None:
            prefix, policy = f"{settings.redis_prefix}key:", settings.redis_failure_policy
            quota = RedisQuota(redis, prefix=prefix, policy=policy, fallback=local)
            budgets = RedisBudgets(redis, prefix=prefix, policy=policy, fallback=own_budgets)
        usage_store = UsageStore(engine)
        usage = UsageRecorder(usage_store, flush_seconds=settings.usage_flush_seconds)
        return cls(keys, ring, quota, usage, usage_store, changes, session_key, previous_session_key, owned, budgets)

    async def start(self) -> None:
        await self.usage.start()

    async def aclose(self) -> None:
        await self.usage.aclose()
        if self.owned_redis is not None:
            await self.owned_redis.aclose()

    async def create_key(self, request: KeyRequest) -> tuple[IssuedKey, StoredKey]:
        """Store a new key (its secret hashed); the issued key is the only time the secret exists."""
        issued = issue()
        now = utcnow()
        stored = StoredKey(
            key_id=issued.key_id,
            name=request.name,
            secret_hash=await asyncio.to_thread(hash_secret, issued.secret),
            roles=tuple(role.value for role in request.roles),
            endpoints=request.endpoints,
            requests_per_minute=request.requests_per_minute,
            tokens_per_minute=request.tokens_per_minute,
            day_budget=request.day_budget,
            month_budget=request.month_budget,
            created_at=now,
            expires_at=None if request.expiration is None else now + request.expiration,
            metadata=request.metadata,
        )
        await asyncio.to_thread(self.keys.create, stored)
        await self.changes.publish(KEY_TOPIC, issued.key_id)  # a gateway that was open now needs keys
        created = {"event": "api_key.create", "key_id": issued.key_id, "key_name": request.name}
        log.info("api key created", extra=created)
        return issued, stored

    async def amend_keys(self, ids: list[str], request: KeyRequest) -> None:
        """Give keys the request's roles, endpoints and limits, on every replica (secrets unchanged)."""
        roles = [role.value for role in request.roles]
        await asyncio.to_thread(
            self.keys.amend, ids, roles=roles, endpoints=request.endpoints,
            requests_per_minute=request.requests_per_minute, tokens_per_minute=request.tokens_per_minute,
            day_budget=request.day_budget, month_budget=request.month_budget,
        )  # fmt: skip
        for key_id in ids:
            await self.changes.publish(KEY_TOPIC, key_id)
            log.info("api key amended", extra={"event": "api_key.amend", "key_id": key_id})

    async def update_key(self, key_id: str, change: KeyUpdate) -> bool:
        """Apply an update on every replica; ``False`` when it changes nothing (Elasticsearch's ``updated``).

        Raises:
            NotFoundError: no key with that id. RequestValidationError: the key is revoked.
        """
        stored = await asyncio.to_thread(self.keys.get, key_id)
        if stored is None:
            raise NotFoundError(f"no API key with id [{key_id}]")
        if stored.revoked_at is not None:
            raise RequestValidationError([f"cannot update invalidated API key [{key_id}]"], param="id")
        revised = _revised(stored, change)
        if revised == stored:
            return False
        await asyncio.to_thread(self.keys.revise, revised)
        await self.changes.publish(KEY_TOPIC, key_id)
        log.info("api key updated", extra={"event": "api_key.update", "key_id": key_id})
        return True

    async def revoke(self, ids: list[str]) -> tuple[list[str], list[str]]:
        """Revoke keys on every replica: (revoked now, revoked before)."""
        fresh, before = await asyncio.to_thread(self.keys.revoke, ids)
        for key_id in fresh:
            await self.changes.publish(KEY_TOPIC, key_id)
            log.info("api key revoked", extra={"event": "api_key.revoke", "key_id": key_id})
        return fresh, before


def _revised(key: StoredKey, change: KeyUpdate) -> StoredKey:
    grants = change.grants
    return replace(
        key,
        roles=key.roles if grants is None else tuple(role.value for role in grants.roles),
        endpoints=key.endpoints if grants is None else grants.endpoints,
        metadata=key.metadata if change.metadata is None else change.metadata,
        expires_at=key.expires_at if change.expiration is None else utcnow() + change.expiration,
    )
