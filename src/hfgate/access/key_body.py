"""The body of ``POST /_security/api_key``, modelled on Elasticsearch's create-API-key body.

``{"name": "search-app", "roles": ["infer"], "endpoints": ["team-a-*"], "expiration": "30d",
"limits": {"requests_per_minute": 600, "tokens_per_minute": 100000, "usd_per_day": 5, "usd_per_month": 100}}``;
only ``name`` and ``roles`` are required. A spend limit is USD, a JSON number or a string of one (``"2.50"``).
``expiration`` is an Elasticsearch time value (``d``, ``h``, ``m``, ``s``, ``ms``).

Elasticsearch's own form is taken too: ``role_descriptors`` instead of ``roles`` and ``endpoints`` (see
:mod:`~hfgate.access.role_descriptors`); with neither, a key created through the API gets its creator's
roles and endpoints, as Elasticsearch gives a key its owner's permissions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import InvalidOperation
from typing import Any

from hfgate.access.role_descriptors import Grants, from_descriptors
from hfgate.access.roles import Role, parse_roles
from hfgate.access.spend import MILLION, decimal_of, micros
from hfgate.errors import RequestValidationError

FIELDS = frozenset({"name", "roles", "endpoints", "role_descriptors", "expiration", "limits", "metadata"})
UPDATE_FIELDS = frozenset({"role_descriptors", "metadata", "expiration"})
LIMITS = ("requests_per_minute", "tokens_per_minute")
BUDGETS = {"usd_per_day": "day_budget", "usd_per_month": "month_budget"}
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_TIME = re.compile(r"^(\d+)(d|h|m|s|ms)$")
_LONGEST = 36500 * 86400.0  # a hundred years; much larger values overflowed the expiry date (a 500)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRequest:
    name: str
    roles: tuple[Role, ...]
    endpoints: tuple[str, ...] = ()
    expiration: timedelta | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    day_budget: int | None = None
    """Micro-dollars per UTC day (``limits.usd_per_day``)."""
    month_budget: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Elasticsearch's free-form ``metadata`` object, kept and shown with the key."""


def parse_key_request(body: Mapping[str, Any], *, creator: Grants | None = None) -> KeyRequest:
    """Check a create body; every problem names its field.

    Args:
        body: the request body.
        creator: the roles and endpoints a key given neither ``roles`` nor ``role_descriptors`` gets (the
            caller's); ``None``: ``roles`` (or ``role_descriptors``) is required.

    Raises:
        RequestValidationError: an unknown field, a missing name or roles, a bad value.
    """
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise RequestValidationError([f"unknown field(s) {unknown}; the fields are {sorted(FIELDS)}"])
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise RequestValidationError(["[name] is required: a non-empty string of at most 255 characters"], param="name")
    limits = body.get("limits") or {}
    grants = _grants(body, creator=creator)
    return KeyRequest(
        name=name.strip(),
        roles=grants.roles,
        endpoints=grants.endpoints,
        expiration=None if body.get("expiration") is None else parse_time(body["expiration"], field="expiration"),
        **_limits(limits),
        **_budgets(limits),
        metadata=_metadata(body.get("metadata")),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyUpdate:
    """What ``PUT _security/api_key/{id}`` changes; ``None``: that part stays as it is."""

    grants: Grants | None = None
    metadata: Mapping[str, Any] | None = None
    expiration: timedelta | None = None


def parse_key_update(body: Mapping[str, Any], *, creator: Grants) -> KeyUpdate:
    """Check an update body, Elasticsearch's ``{"role_descriptors"?, "metadata"?, "expiration"?}``; empty
    ``role_descriptors`` give the key its updater's roles and endpoints, as Elasticsearch gives it its owner's.

    Raises:
        RequestValidationError: an unknown field or a bad value, named.
    """
    unknown = sorted(set(body) - UPDATE_FIELDS)
    if unknown:
        raise RequestValidationError([f"unknown field(s) {unknown}; the fields are {sorted(UPDATE_FIELDS)}"])
    raw_grants, raw_metadata, raw_expiration = (
        body.get(name) for name in ("role_descriptors", "metadata", "expiration")
    )
    return KeyUpdate(
        grants=None if raw_grants is None else from_descriptors(raw_grants) or creator,
        metadata=None if raw_metadata is None else _metadata(raw_metadata),
        expiration=None if raw_expiration is None else parse_time(raw_expiration, field="expiration"),
    )


def parse_time(raw: object, *, field: str) -> timedelta:
    """An Elasticsearch time value such as ``30d`` or ``12h``."""
    match = _TIME.match(raw) if isinstance(raw, str) else None
    seconds = 0.0 if match is None else int(match.group(1)) * _UNITS[match.group(2)]
    if not 0 < seconds <= _LONGEST:
        raise RequestValidationError(
            [f"[{field}] must be a positive time value of at most 36500d, such as [30d], [12h], [15m] or [60s]; "
             f"got [{raw}]"],
            param=field,
        )  # fmt: skip
    return timedelta(seconds=seconds)


def _grants(body: Mapping[str, Any], *, creator: Grants | None) -> Grants:
    if "role_descriptors" not in body:
        if creator is not None and body.get("roles") is None and body.get("endpoints") is None:
            return creator
        return Grants(roles=parse_roles(body.get("roles")), endpoints=_endpoints(body.get("endpoints")))
    given = sorted(field for field in ("roles", "endpoints") if body.get(field) is not None)
    if given:
        raise RequestValidationError(
            [
                f"give either {given} or [role_descriptors], not both: role descriptors carry the roles (cluster or "
                "application privileges) and the endpoints (application resources)"
            ],
            param="role_descriptors",
        )
    found = from_descriptors(body["role_descriptors"]) or creator
    if found is None:
        raise RequestValidationError(["[role_descriptors] is empty: give [roles] or role descriptors"], param="roles")
    return found


def _metadata(raw: object) -> dict[str, Any]:
    """Elasticsearch's rule: an object whose keys do not start with ``_`` (reserved for Elasticsearch)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RequestValidationError(["[metadata] must be an object"], param="metadata")
    reserved = sorted(key for key in raw if key.startswith("_"))
    if reserved:
        raise RequestValidationError([f"metadata keys may not start with [_]; got {reserved}"], param="metadata")
    return raw


def _endpoints(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise RequestValidationError(
            ["[endpoints] must be a list of endpoint ids or patterns such as [team-a-*]"], param="endpoints"
        )
    return tuple(raw)


def _limits(raw: object) -> dict[str, int | None]:
    if not isinstance(raw, dict) or set(raw) - {*LIMITS, *BUDGETS}:
        raise RequestValidationError([f"[limits] must be an object with {[*LIMITS, *BUDGETS]}"], param="limits")
    found: dict[str, int | None] = {}
    for name in LIMITS:
        value = raw.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            raise RequestValidationError([f"[limits.{name}] must be a positive integer; got [{value}]"], param=name)
        found[name] = value
    return found


def _budgets(raw: dict[str, Any]) -> dict[str, int | None]:
    return {field: _usd(raw.get(name), name=name) for name, field in BUDGETS.items()}


def _usd(value: object, *, name: str) -> int | None:
    """USD as given (a number, or a string of one) in whole micro-dollars."""
    if value is None:
        return None
    problem = f'[limits.{name}] must be an amount of USD of at least 0, such as [5] or ["2.50"]; got [{value}]'
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RequestValidationError([problem], param=name)
    try:
        amount = decimal_of(value) * MILLION
    except InvalidOperation:
        raise RequestValidationError([problem], param=name) from None
    if not amount.is_finite() or amount < 0:
        raise RequestValidationError([problem], param=name)
    return micros(amount)


__all__ = ["KeyRequest", "KeyUpdate", "Role", "parse_key_request", "parse_key_update", "parse_time"]
