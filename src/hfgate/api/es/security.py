"""Gateway keys, in Elasticsearch's ``_security`` shapes (their usage: :mod:`hfgate.api.usage`).

- ``POST|PUT /_security/api_key``: Elasticsearch's ``{"name", "role_descriptors"?, "expiration"?,
  "metadata"?}`` (descriptors mapped by :mod:`hfgate.access.role_descriptors`; with none, the creator's
  roles and endpoints) or hfgate's ``{"name", "roles", "endpoints"?, "limits"?}`` → ``{"id", "name",
  "expiration"?, "api_key", "encoded"}``: the secret, once; send ``encoded`` as ``Authorization: ApiKey
  <encoded>`` (or ``Bearer``).
- ``PUT /_security/api_key/{id}``: ``{"role_descriptors"?, "metadata"?, "expiration"?}`` → ``{"updated"}``.
- ``GET /_security/api_key?id=|name=|owner=|username=|realm_name=|active_only=`` → ``{"api_keys": [...]}``
  in Elasticsearch's ``ApiKey`` shape (never a secret or its hash).
- ``POST|GET /_security/_query/api_key`` (query, sort, from, size; see :mod:`hfgate.api.es.key_query`) →
  ``{"total", "count", "api_keys"}``.
- ``DELETE /_security/api_key`` ``{"ids"|"id"|"name"|"owner"|"username"}`` → Elasticsearch's
  ``{"invalidated_api_keys", "previously_invalidated_api_keys", "error_count", "error_details"?}``.
- ``GET /_security/_authenticate``: who the request's key is.

Keys belong to the gateway, not to users: every key's ``username`` and ``realm`` are ``hfgate``, so
``owner=true`` (the caller holds ``admin``) and ``username=hfgate`` select every key.

Each route is declared once (:mod:`hfgate.api.declare`) with its bodies in
:mod:`hfgate.api.es.security_schema`. The revoke body is decoded by its model; a key's create and update
bodies are read by :mod:`hfgate.access.key_body` (``hfgate apply`` sends the same ones).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from hfgate.access.control import AccessControl
from hfgate.access.key_body import parse_key_request, parse_key_update
from hfgate.access.principal import ANY_KEY, CURRENT
from hfgate.access.role_descriptors import Grants, to_descriptors
from hfgate.access.roles import Role
from hfgate.access.spend import amount
from hfgate.api.body import json_object, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import AccessDep
from hfgate.api.es.errors import FACE as ES
from hfgate.api.es.key_page import page
from hfgate.api.es.key_query import matching
from hfgate.api.es.security_schema import (
    Authenticated,
    KeyCreate,
    KeyCreated,
    KeyList,
    KeyQuery,
    KeyRevoke,
    KeysFound,
    KeysRevoked,
    KeyUpdate,
    KeyUpdated,
)
from hfgate.errors import RequestValidationError
from hfgate.registry.api_keys import StoredKey

ROUTES = FaceRoutes(ES, tag="_security: keys and usage", error=None)
OWNER = "hfgate"  # every key's username and realm: keys belong to the gateway
QUERY_FIELDS = frozenset({"query", "sort", "from", "size"})


@ROUTES.post("/_security/api_key", role=Role.ADMIN, body=KeyCreate, answer=KeyCreated)
@ROUTES.put("/_security/api_key", role=Role.ADMIN, body=KeyCreate, answer=KeyCreated)
async def create_key(request: Request, access: AccessDep) -> dict[str, Any]:
    """Create a key; the answer is the only time its secret is shown."""
    issued, stored = await access.create_key(parse_key_request(await json_object(request), creator=caller_grants()))
    body: dict[str, Any] = {"id": issued.key_id, "name": stored.name}
    if stored.expires_at is not None:
        body["expiration"] = _ms(stored.expires_at)
    return {**body, "api_key": issued.secret, "encoded": issued.encoded}


@ROUTES.put("/_security/api_key/{key_id}", role=Role.ADMIN, body=KeyUpdate, answer=KeyUpdated)
async def update_key(key_id: str, request: Request, access: AccessDep) -> dict[str, bool]:
    """Change a key's ``role_descriptors``, ``metadata`` or ``expiration`` (each left as it is when absent);
    ``updated`` is false when nothing changed."""
    change = parse_key_update(await json_object(request, required=False), creator=caller_grants())
    return {"updated": await access.update_key(key_id, change)}


@ROUTES.get("/_security/api_key", role=Role.ADMIN, answer=KeyList)
async def list_keys(
    access: AccessDep, *, id: str | None = None, name: str | None = None, owner: bool = False,
    username: str | None = None, realm_name: str | None = None, active_only: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Keys by id, name (``*`` matches any ending), owner or username; every key when none is given
    (revoked and expired ones too, unless ``active_only``)."""
    _check_selectors({"id": id, "name": name, "owner": owner, "username": username, "realm_name": realm_name})
    found = await _select(access, key_id=id, name=name, owner=username or realm_name or None)
    now = datetime.now(UTC)
    return {"api_keys": [describe(key) for key in found if not active_only or key.active(now)]}


@ROUTES.post("/_security/_query/api_key", role=Role.ADMIN, body=KeyQuery, answer=KeysFound)
@ROUTES.get("/_security/_query/api_key", role=Role.ADMIN, answer=KeysFound)
async def query_keys(request: Request, access: AccessDep) -> dict[str, Any]:
    """Elasticsearch's query DSL over the keys; ``total`` counts every match, ``count`` this page's."""
    body = await json_object(request, required=False)
    for field in ("aggregations", "aggs", "search_after"):
        if field in body:
            raise RequestValidationError(
                [f"[{field}] is not supported by hfgate; page with [from] and [size]"], param=field
            )
    unknown = sorted(set(body) - QUERY_FIELDS)
    if unknown:
        raise RequestValidationError([f"unknown field(s) {unknown}; the fields are {sorted(QUERY_FIELDS)}"])
    keys = await asyncio.to_thread(access.keys.list)
    found = matching([describe(key) for key in keys], body.get("query"))
    shown = page(found, body)
    return {"total": len(found), "count": len(shown), "api_keys": shown}


@ROUTES.delete("/_security/api_key", role=Role.ADMIN, body=KeyRevoke, answer=KeysRevoked)
async def revoke_keys(request: Request, access: AccessDep) -> dict[str, Any]:
    """Revoke keys by ``ids`` (or ``id``), ``name``, or ``owner``/``username``; effective on every replica
    through the change feed."""
    ids = await _ids_to_revoke(access, await read_body(request, KeyRevoke))
    fresh, before = await access.revoke(ids)
    missing = [i for i in ids if i not in fresh and i not in before]
    answer: dict[str, Any] = {
        "invalidated_api_keys": fresh,
        "previously_invalidated_api_keys": before,
        "error_count": len(missing),
    }
    if missing:
        answer["error_details"] = [
            {"type": "resource_not_found_exception", "reason": f"no API key with id [{i}]"} for i in missing
        ]
    return answer


@ROUTES.get("/_security/_authenticate", role=ANY_KEY, answer=Authenticated)
async def authenticate() -> dict[str, Any]:
    """Who the request is, in Elasticsearch's shape: a key authenticates as its owner (``hfgate``) through
    the ``_es_api_key`` realm, with no roles of a user; ``api_key`` names the key (and adds hfgate's roles
    and endpoints). When the gateway is open: Elasticsearch's anonymous user, and ``api_key`` is ``null``."""
    principal = CURRENT.get()
    if principal is None:
        return _authenticated("_anonymous", realm="__anonymous", kind="anonymous", api_key=None)
    key = {"id": principal.key_id, "name": principal.name, "roles": list(principal.roles),
           "endpoints": list(principal.endpoints)}  # fmt: skip
    return _authenticated(OWNER, realm="_es_api_key", kind="api_key", api_key=key)


def describe(key: StoredKey) -> dict[str, Any]:
    """A key as ``GET /_security/api_key`` shows it: Elasticsearch's ``ApiKey``, and hfgate's roles,
    endpoints and limits."""
    body: dict[str, Any] = {
        "id": key.key_id,
        "name": key.name,
        "type": "rest",
        "creation": _ms(key.created_at),
        "expiration": None if key.expires_at is None else _ms(key.expires_at),
        "invalidated": key.revoked_at is not None,
        "username": OWNER,
        "realm": OWNER,
        "metadata": dict(key.metadata),
        "role_descriptors": to_descriptors(key.roles, key.endpoints),
        "roles": list(key.roles),
        "endpoints": list(key.endpoints),
        "limits": {
            "requests_per_minute": key.requests_per_minute,
            "tokens_per_minute": key.tokens_per_minute,
            "usd_per_day": amount(key.day_budget),
            "usd_per_month": amount(key.month_budget),
        },
    }
    if key.revoked_at is not None:
        body["invalidation"] = _ms(key.revoked_at)
    return body


def _authenticated(username: str, *, realm: str, kind: str, api_key: dict[str, Any] | None) -> dict[str, Any]:
    where = {"name": realm, "type": realm}
    return {
        "username": username, "roles": [], "full_name": None, "email": None, "metadata": {}, "enabled": True,
        "authentication_realm": where, "lookup_realm": where, "authentication_type": kind, "api_key": api_key,
    }  # fmt: skip


def caller_grants() -> Grants:
    """The roles and endpoints of the caller (everything, when the gateway is open)."""
    principal = CURRENT.get()
    if principal is None:
        return Grants(roles=(Role.ADMIN,))
    return Grants(roles=principal.roles, endpoints=principal.endpoints)


def _check_selectors(given: Mapping[str, object]) -> None:
    """Elasticsearch's rules: ``id``/``ids`` and ``name`` exclude each other and ``username``/``realm_name``;
    ``owner: true`` excludes ``username``/``realm_name``."""
    by_key = [k for k in ("id", "ids", "name") if given.get(k) is not None]
    by_user = [k for k in ("username", "realm_name") if given.get(k) is not None]
    if len(by_key) > 1 or (by_key and by_user) or (given.get("owner") is True and by_user):
        chosen = by_key + by_user + (["owner"] if given.get("owner") is True else [])
        raise RequestValidationError(
            [f"{chosen} cannot be used together: give [id] (or [ids]) or [name], optionally with [owner], or "
             "[username]/[realm_name] alone"],
            param=chosen[0],
        )  # fmt: skip


async def _select(access: AccessControl, *, key_id: str | None, name: str | None, owner: str | None) -> list[StoredKey]:
    """Keys by id, by name (a trailing ``*``: by prefix), or by owner (only ``hfgate`` owns keys)."""
    if owner is not None and owner != OWNER:
        return []
    exact = None if name is None or name.endswith("*") else name
    found = await asyncio.to_thread(access.keys.list, key_id=key_id, name=exact)
    if name is not None and exact is None:
        prefix = name.rstrip("*")
        found = [key for key in found if key.name.startswith(prefix)]
    return found


async def _ids_to_revoke(access: AccessControl, body: KeyRevoke) -> list[str]:
    _check_selectors(body.model_dump())
    ids = body.ids if body.ids is not None else ([body.id] if body.id is not None else None)
    if ids is None and (body.name or body.username or body.realm_name or body.owner):
        found = await _select(access, key_id=None, name=body.name, owner=body.username or body.realm_name)
        return [key.key_id for key in found]
    if not ids:
        raise RequestValidationError(
            ["give [ids]: a non-empty list of key ids, [name]: a key name, or [owner]: true"], param="ids"
        )
    return ids


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
