"""Who the current request is (a gateway key's id, roles, endpoints and limits), and whether it may take the
route it asks for.

The gateway finds the caller with the :class:`KeyRing` and sets :data:`CURRENT`; routes and the
orchestrator read it (a context variable, so no layer passes it on). No principal means the gateway is
open (no key configured anywhere): everything is allowed, as before keys existed. :func:`check` is every
route's role check: a route's role (a :class:`Role`, :data:`OPEN` or :data:`ANY_KEY`) comes from its
declaration (:mod:`hfgate.api.declare`).

The key ring turns a bearer token into a :class:`Principal`, cheaply on every request, with revocation
honoured. A key's scrypt hash is checked once per process (tens of milliseconds); after that the key's
entry holds an HMAC-SHA256 of its secret under a random per-process pepper, and each request costs one
HMAC and one constant-time compare. An entry is trusted for ``ttl_seconds``
(``HFGATE_REGISTRY_CACHE_SECONDS``), then re-read from the registry (the row, not the hash again).
Revocation on any replica is published on the fleet's change feed (topic ``api_key``) and drops the entry
at once; the TTL is the safety net.

``HFGATE_API_KEYS`` are bootstrap keys with the ``admin`` role, known by their HMAC only.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import MutableMapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from hfgate.access.roles import Role, granted
from hfgate.access.tokens import parse, verify
from hfgate.errors import AuthenticationError, ForbiddenError, RegistryUnavailableError
from hfgate.fleet.changes import EVERYTHING, LocalChanges
from hfgate.registry.api_keys import KeyStore, StoredKey

log = logging.getLogger("hfgate.access")

OPEN: Final = "open"
"""A route's role when it needs no key."""
ANY_KEY: Final = "any key"
"""A route's role when any valid key will do."""

Need = Role | str
"""What a route needs: a :class:`Role`, :data:`OPEN` or :data:`ANY_KEY`."""


@dataclass(frozen=True, slots=True)
class Principal:
    """A checked gateway key.

    Args:
        key_id: the key's id (never its secret); ``env-…`` for the bootstrap keys of ``HFGATE_API_KEYS``.
        name: the name given at creation.
        roles: the roles granted at creation (implied ones are added).
        endpoints: endpoint ids or ``fnmatch`` patterns the key is limited to; empty: every endpoint.
        requests_per_minute: the key's request budget, or ``None``.
        tokens_per_minute: the key's token budget (input + output), or ``None``.
        day_budget, month_budget: micro-dollars the key may spend per UTC day and month, or ``None``.
    """

    key_id: str
    name: str
    roles: tuple[Role, ...]
    endpoints: tuple[str, ...] = ()
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    day_budget: int | None = None
    month_budget: int | None = None
    expires_at: float | None = None
    granted: frozenset[Role] = field(init=False)
    _pattern: re.Pattern[str] | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "granted", granted(self.roles))
        joined = "|".join(f"(?:{fnmatch.translate(p)})" for p in self.endpoints)
        object.__setattr__(self, "_pattern", re.compile(joined) if self.endpoints else None)

    @property
    def limited(self) -> bool:
        return self.requests_per_minute is not None or self.tokens_per_minute is not None

    def may_use(self, inference_id: str) -> bool:
        return self._pattern is None or self._pattern.fullmatch(inference_id) is not None

    def require(self, role: Role) -> None:
        """Raises ForbiddenError naming the missing role."""
        if role not in self.granted:
            held = ", ".join(r.value for r in self.roles)
            raise ForbiddenError(
                f"action is unauthorized for API key [{self.name}] (id [{self.key_id}]): this route needs the "
                f"[{role.value}] role and the key has [{held}]; create a key with [{role.value}] in its roles"
            )


CURRENT: ContextVar[Principal | None] = ContextVar("hfgate_principal", default=None)


def current_key_id() -> str:
    """The current key's id: what a key's own things (its files, batches, stored responses) are filed under;
    ``""`` while the gateway is open."""
    principal = CURRENT.get()
    return "" if principal is None else principal.key_id


def check_endpoint(inference_id: str) -> None:
    """Raises ForbiddenError when the current key is limited to other endpoints (nothing when open)."""
    principal = CURRENT.get()
    if principal is not None and not principal.may_use(inference_id):
        raise ForbiddenError(
            f"API key [{principal.name}] (id [{principal.key_id}]) may not use inference endpoint "
            f"[{inference_id}]; it is limited to {list(principal.endpoints)}"
        )


def may_use(inference_id: str) -> bool:
    """Whether the current key may see or use the endpoint (always, when the gateway is open)."""
    principal = CURRENT.get()
    return principal is None or principal.may_use(inference_id)


async def check(scope: MutableMapping[str, Any], need: Need) -> None:
    """Let the request through, or raise what its face renders.

    Raises:
        AuthenticationError: no key (a page without a session goes on: the page shows the login).
        ForbiddenError: the key lacks the role, or may not use the route's endpoint.
        KeyLimitError: an inference route, and the key used up its requests or tokens per minute.
    """
    state: dict[str, Any] = scope.get("state", {})
    if need == OPEN or not state.get("gated"):
        return
    principal = CURRENT.get()
    if principal is None:
        if scope["method"] == "GET" and scope["path"].startswith("/ui"):
            return  # the page answers with its login
        raise AuthenticationError("missing authentication credentials; send [Authorization: Bearer <key>]")
    if isinstance(need, Role):
        principal.require(need)
    inference_id = scope.get("path_params", {}).get("inference_id")
    if inference_id is not None:
        check_endpoint(str(inference_id))
    if need is Role.INFER and principal.limited:
        await state["access"].quota.admit(principal)


KEY_TOPIC = "api_key"
UNKNOWN = (
    "unable to authenticate with the provided credentials; the token is neither one of the keys in "
    "HFGATE_API_KEYS nor the [encoded] value of an API key created with POST /_security/api_key"
)


@dataclass(slots=True)
class _Entry:
    checked: float
    digest: bytes
    secret_hash: str
    principal: Principal


def bootstrap_principal(key: str) -> Principal:
    """The admin principal of one ``HFGATE_API_KEYS`` key; its id is a short digest, never the key."""
    return Principal(key_id="env-" + hashlib.sha256(key.encode()).hexdigest()[:12], name="HFGATE_API_KEYS",
                     roles=(Role.ADMIN,))  # fmt: skip


def principal_of(key: StoredKey) -> Principal:
    return Principal(
        key_id=key.key_id,
        name=key.name,
        roles=tuple(Role(r) for r in key.roles),
        endpoints=key.endpoints,
        requests_per_minute=key.requests_per_minute,
        tokens_per_minute=key.tokens_per_minute,
        day_budget=key.day_budget,
        month_budget=key.month_budget,
        expires_at=None if key.expires_at is None else key.expires_at.timestamp(),
    )


class KeyRing:
    """Resolves tokens to principals.

    Args:
        store: the registry's keys.
        bootstrap: ``HFGATE_API_KEYS``.
        ttl_seconds: how long an entry is trusted without reading the registry again.
    """

    def __init__(self, store: KeyStore, *, bootstrap: Sequence[str], ttl_seconds: float) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._pepper = secrets.token_bytes(32)
        self._bootstrap = {self._digest(key): bootstrap_principal(key) for key in bootstrap}
        self._entries: dict[str, _Entry] = {}
        self._by_id: dict[str, tuple[float, Principal | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._required: tuple[float, bool] | None = None

    def listen(self, changes: LocalChanges) -> None:
        changes.subscribe(KEY_TOPIC, self.forget)

    def forget(self, key_id: str) -> None:
        """A key changed on some replica: read it again on next use (``"*"``: every key)."""
        self._required = None
        if key_id == EVERYTHING:
            self._entries.clear()
            self._by_id.clear()
        else:
            self._entries.pop(key_id, None)
            self._by_id.pop(key_id, None)

    async def required(self) -> bool:
        """Whether requests need a key: bootstrap keys are set, or the registry holds an active key."""
        if self._bootstrap:
            return True
        now = time.monotonic()
        # This process's own creates and revokes reset the flag at once (forget); the re-read is for
        # replicas without a change feed, at most once a second even when the TTL is 0.
        if self._required is None or now - self._required[0] >= max(self._ttl, 1.0):
            try:
                self._required = (now, await asyncio.to_thread(self._store.any_active))
            except RegistryUnavailableError:
                # The database is away: keep the last answer (stale beats down); never known: closed.
                _stale("any_active")
                return True if self._required is None else self._required[1]
        return self._required[1]

    async def resolve(self, token: str) -> Principal:
        """The principal of ``token``.

        Raises:
            AuthenticationError: unknown, malformed, wrong secret, revoked or expired.
        """
        digest = self._digest(token)
        known = self._bootstrap.get(digest)
        if known is not None:
            return known
        parsed = parse(token)
        if parsed is None:
            raise AuthenticationError(UNKNOWN)
        key_id, secret = parsed
        entry = self._entries.get(key_id)
        if entry is None or time.monotonic() - entry.checked >= self._ttl:
            entry = await self._load(key_id, secret, digest=digest)
        if not hmac.compare_digest(entry.digest, digest):
            raise AuthenticationError(UNKNOWN)
        expires = entry.principal.expires_at
        if expires is not None and time.time() >= expires:
            raise AuthenticationError(f"API key [{key_id}] has expired; create a new one")
        return entry.principal

    async def by_id(self, key_id: str) -> Principal | None:
        """The principal of an active key known by id (a web page session); ``None`` if gone."""
        for known in self._bootstrap.values():
            if known.key_id == key_id:
                return known
        cached = self._by_id.get(key_id)
        now = time.monotonic()
        if cached is None or now - cached[0] >= self._ttl:
            try:
                stored = await asyncio.to_thread(self._store.get, key_id)
            except RegistryUnavailableError:
                if cached is None:
                    raise
                _stale(key_id)
            else:
                cached = (now, principal_of(stored) if stored is not None and stored.active() else None)
                self._by_id[key_id] = cached
        principal = cached[1]
        if principal is not None and principal.expires_at is not None and time.time() >= principal.expires_at:
            return None
        return principal

    async def _load(self, key_id: str, secret: str, *, digest: bytes) -> _Entry:
        if len(self._locks) > 10_000:  # ids that never matched a key must not pile up
            self._locks.clear()
        lock = self._locks.setdefault(key_id, asyncio.Lock())
        async with lock:  # one scrypt per key however many requests arrive together
            entry = self._entries.get(key_id)
            if entry is not None and time.monotonic() - entry.checked < self._ttl:
                return entry
            try:
                stored = await asyncio.to_thread(self._store.get, key_id)
            except RegistryUnavailableError:
                if entry is None:
                    raise
                _stale(key_id)  # a key checked before goes on working while the database is away
                return entry
            if stored is None:
                raise AuthenticationError(UNKNOWN)
            if stored.revoked_at is not None:
                self._entries.pop(key_id, None)
                raise AuthenticationError(f"API key [{key_id}] has been revoked; ask an admin for a new one")
            known = entry is not None and entry.secret_hash == stored.secret_hash and entry.digest == digest
            if not known and not await asyncio.to_thread(verify, secret, stored.secret_hash):
                raise AuthenticationError(UNKNOWN)
            fresh = _Entry(time.monotonic(), digest, stored.secret_hash, principal_of(stored))
            self._entries[key_id] = fresh
            return fresh

    def _digest(self, token: str) -> bytes:
        return hmac.new(self._pepper, token.encode(), hashlib.sha256).digest()


def _stale(what: str) -> None:
    log.warning("registry unreachable, using what was read before", extra={"event": "keys.stale", "key": what})
