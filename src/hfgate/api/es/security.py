"""Gateway keys and usage, in Elasticsearch's ``_security/api_key`` shapes (routes of our own).

- ``POST|PUT /_security/api_key`` ``{"name", "roles", "endpoints"?, "expiration"?, "limits"?}`` →
  ``{"id", "name", "expiration"?, "api_key", "encoded"}``: the secret, once; send ``encoded`` as
  ``Authorization: ApiKey <encoded>`` (or ``Bearer``).
- ``GET /_security/api_key?id=&name=`` → ``{"api_keys": [...]}`` (never a secret or its hash).
- ``DELETE /_security/api_key`` ``{"ids": [...]}`` or ``{"name": ...}`` → Elasticsearch's
  ``{"invalidated_api_keys", "previously_invalidated_api_keys", "error_count", "error_details"}``.
- ``GET /_security/_authenticate``: who the request's key is.
- ``GET /_usage?key=&endpoint=&from=&to=``: usage per hour × key × endpoint (see :mod:`hfgate.access.usage_report`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from hfgate.access.key_body import parse_key_request
from hfgate.access.keyring import bootstrap_principal
from hfgate.access.principal import CURRENT
from hfgate.access.usage import ANONYMOUS
from hfgate.access.usage_report import report
from hfgate.api.body import json_object
from hfgate.api.deps import AccessDep, SettingsDep
from hfgate.errors import RequestValidationError
from hfgate.registry.api_keys import StoredKey

router = APIRouter(tags=["_security: keys and usage"])


@router.post("/_security/api_key")
@router.put("/_security/api_key")
async def create_key(request: Request, access: AccessDep) -> dict[str, Any]:
    """Create a key; the answer is the only time its secret is shown."""
    issued, stored = await access.create_key(parse_key_request(await json_object(request)))
    body: dict[str, Any] = {"id": issued.key_id, "name": stored.name}
    if stored.expires_at is not None:
        body["expiration"] = _ms(stored.expires_at)
    return {**body, "api_key": issued.secret, "encoded": issued.encoded}


@router.get("/_security/api_key")
async def list_keys(access: AccessDep, *, id: str | None = None, name: str | None = None) -> dict[str, Any]:
    """Every key, or those with that id or name (revoked ones too, marked ``invalidated``)."""
    found = await asyncio.to_thread(access.keys.list, key_id=id, name=name)
    return {"api_keys": [describe(key) for key in found]}


@router.delete("/_security/api_key")
async def revoke_keys(request: Request, access: AccessDep) -> dict[str, Any]:
    """Revoke keys by ``ids`` or by ``name``; effective on every replica through the change feed."""
    body = await json_object(request)
    ids = body.get("ids")
    if isinstance(body.get("name"), str):
        ids = [key.key_id for key in await asyncio.to_thread(access.keys.list, name=body["name"])]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise RequestValidationError(["give [ids]: a non-empty list of key ids, or [name]: a key name"], param="ids")
    fresh, before = await access.revoke(ids)
    missing = [i for i in ids if i not in fresh and i not in before]
    details = [{"type": "resource_not_found_exception", "reason": f"no API key with id [{i}]"} for i in missing]
    return {
        "invalidated_api_keys": fresh,
        "previously_invalidated_api_keys": before,
        "error_count": len(missing),
        "error_details": details,
    }


@router.get("/_security/_authenticate")
async def authenticate() -> dict[str, Any]:
    """The key the request was made with (``null`` when the gateway is open)."""
    principal = CURRENT.get()
    if principal is None:
        return {"api_key": None}
    return {"api_key": {"id": principal.key_id, "name": principal.name, "roles": list(principal.roles),
                        "endpoints": list(principal.endpoints)}}  # fmt: skip


@router.get("/_usage")
async def usage(
    access: AccessDep, settings: SettingsDep, *, key: str | None = None, endpoint: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None, end: Annotated[str | None, Query(alias="to")] = None,
) -> dict[str, Any]:  # fmt: skip
    """Usage per hour × key × endpoint, this replica's latest calls included."""
    await access.usage.flush()
    rows = await asyncio.to_thread(
        access.usage_store.query, key_id=key, inference_id=endpoint,
        start=_moment(start, field="from"), end=_moment(end, field="to"),
    )  # fmt: skip
    keys = await asyncio.to_thread(access.keys.list)
    names = {k.key_id: k.name for k in keys} | {ANONYMOUS: "anonymous"}
    names |= {p.key_id: p.name for p in map(bootstrap_principal, settings.api_keys)}
    return report(rows, names=names)


def describe(key: StoredKey) -> dict[str, Any]:
    """A key as ``GET /_security/api_key`` shows it."""
    body: dict[str, Any] = {
        "id": key.key_id,
        "name": key.name,
        "creation": _ms(key.created_at),
        "expiration": None if key.expires_at is None else _ms(key.expires_at),
        "invalidated": key.revoked_at is not None,
        "roles": list(key.roles),
        "endpoints": list(key.endpoints),
        "limits": {"requests_per_minute": key.requests_per_minute, "tokens_per_minute": key.tokens_per_minute},
    }
    if key.revoked_at is not None:
        body["invalidation"] = _ms(key.revoked_at)
    return body


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(raw: str | None, *, field: str) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RequestValidationError(
            [f"[{field}] must be an ISO 8601 date or time such as [2026-11-22] or [2026-11-22T18:00:00Z]; got [{raw}]"],
            param=field,
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
