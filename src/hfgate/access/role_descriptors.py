"""Elasticsearch role descriptors, as hfgate's roles and endpoint patterns (and back).

Elasticsearch's clients create a key with ``role_descriptors`` (``{"name": {"cluster": [...],
"applications": [...]}}``) rather than hfgate's ``roles`` and ``endpoints``. Two parts of a descriptor
mean something here:

- ``cluster`` privileges, on every endpoint: ``monitor_inference`` (Elasticsearch's privilege to read
  endpoints and run inference) and ``monitor`` give [monitor, infer]; ``manage_inference`` and
  ``manage`` give [manage, infer]; ``all``, ``manage_security`` and ``manage_api_key`` give [admin].
- ``applications`` entries of application ``hfgate``: ``privileges`` are hfgate role names (``*``: all
  of them) and ``resources`` endpoint ids or patterns (``*``: every endpoint).

A key holds one list of endpoints for all its roles, so grants with different resources must grant the
same roles (their resources are joined), or have the same resources (their roles are joined). Anything
else (index privileges, ``run_as``, other applications, unknown cluster privileges) cannot be expressed
and is refused naming it.

Example:
    >>> grants = from_descriptors({"app": {"applications": [
    ...     {"application": "hfgate", "privileges": ["infer"], "resources": ["team-a-*"]}]}})
    >>> [r.value for r in grants.roles], grants.endpoints
    (['infer'], ('team-a-*',))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hfgate.access.roles import Role, granted
from hfgate.errors import RequestValidationError

APPLICATION = "hfgate"
CLUSTER: dict[str, frozenset[Role]] = {
    "all": frozenset({Role.ADMIN}),
    "manage_security": frozenset({Role.ADMIN}),
    "manage_api_key": frozenset({Role.ADMIN}),
    "manage": frozenset({Role.MANAGE, Role.INFER}),
    "manage_inference": frozenset({Role.MANAGE, Role.INFER}),
    "monitor": frozenset({Role.MONITOR, Role.INFER}),
    "monitor_inference": frozenset({Role.MONITOR, Role.INFER}),
}
# Parts of a descriptor that grant nothing (labels) and parts that grant what hfgate has not.
_NEUTRAL = frozenset({"cluster", "applications", "metadata", "description", "transient_metadata"})
_EVERY = "*"

_Scope = tuple[str, ...] | None  # endpoint patterns; None: every endpoint


@dataclass(frozen=True, slots=True)
class Grants:
    """What a key may do: its roles, and the endpoints it may use (empty: every endpoint)."""

    roles: tuple[Role, ...]
    endpoints: tuple[str, ...] = ()


def from_descriptors(raw: object) -> Grants | None:
    """The roles and endpoints ``role_descriptors`` grant; ``None`` when there are none (an empty object:
    Elasticsearch then gives the key its creator's permissions).

    Raises:
        RequestValidationError: not an object of objects, or a privilege hfgate cannot express (named).
    """
    if not isinstance(raw, dict):
        raise RequestValidationError(
            ["[role_descriptors] must be an object of named role descriptors"], param="role_descriptors"
        )
    if not raw:
        return None
    pairs = [grant for name, descriptor in raw.items() for grant in _grants(name, descriptor)]
    if not pairs:
        raise RequestValidationError(
            [f"[role_descriptors] grant no privilege: a key without privileges can do nothing in hfgate; give "
             f"[cluster] privileges from {sorted(CLUSTER)} or [applications] of [{APPLICATION}]"],
            param="role_descriptors",
        )  # fmt: skip
    return _joined(pairs)


def to_descriptors(roles: Sequence[str], endpoints: Sequence[str]) -> dict[str, Any]:
    """A key's roles and endpoints as one role descriptor (``GET _security/api_key`` shows it)."""
    application = {"application": APPLICATION, "privileges": list(roles), "resources": list(endpoints) or [_EVERY]}
    return {APPLICATION: {"cluster": [], "indices": [], "applications": [application], "run_as": [], "metadata": {}}}


def _grants(name: str, descriptor: object) -> list[tuple[frozenset[Role], _Scope]]:
    field = f"role_descriptors.{name}"
    if not isinstance(descriptor, dict):
        raise RequestValidationError([f"[{field}] must be a role descriptor object"], param="role_descriptors")
    for part in sorted(set(descriptor) - _NEUTRAL):
        if descriptor[part] not in (None, [], {}):
            raise RequestValidationError(
                [f"[{field}.{part}] cannot be expressed by hfgate's keys (hfgate holds inference endpoints, no "
                 f"indices, clusters or users); remove it and grant [cluster] privileges from {sorted(CLUSTER)} "
                 f"or [applications] of [{APPLICATION}]"],
                param="role_descriptors",
            )  # fmt: skip
    cluster = _cluster(descriptor.get("cluster"), field=f"{field}.cluster")
    applications = descriptor.get("applications") or []
    if not isinstance(applications, list):
        raise RequestValidationError([f"[{field}.applications] must be a list"], param="role_descriptors")
    found = [(cluster, None)] if cluster else []
    return found + [_application(entry, field=f"{field}.applications[{i}]") for i, entry in enumerate(applications)]


def _cluster(raw: object, *, field: str) -> frozenset[Role]:
    privileges = _strings(raw or [], field=field)
    unknown = [p for p in privileges if p not in CLUSTER]
    if unknown:
        raise RequestValidationError(
            [f"[{field}] privilege(s) {unknown} cannot be expressed by hfgate's roles; the cluster privileges "
             f"hfgate maps are {sorted(CLUSTER)}"],
            param="role_descriptors",
        )  # fmt: skip
    return frozenset().union(*(CLUSTER[p] for p in privileges))


def _application(entry: object, *, field: str) -> tuple[frozenset[Role], _Scope]:
    if not isinstance(entry, dict) or entry.get("application") != APPLICATION:
        got = entry.get("application") if isinstance(entry, dict) else entry
        raise RequestValidationError(
            [f"[{field}.application] must be [{APPLICATION}], got [{got}]: hfgate knows no other application"],
            param="role_descriptors",
        )
    names = _strings(entry.get("privileges"), field=f"{field}.privileges")
    known = [role.value for role in Role]
    unknown = [n for n in names if n != _EVERY and n not in known]
    if unknown or not names:
        raise RequestValidationError(
            [f"[{field}.privileges] must name hfgate roles from {known} (or [*]); got {names}"],
            param="role_descriptors",
        )
    roles = frozenset(Role) if _EVERY in names else frozenset(Role(n) for n in names)
    resources = _strings(entry.get("resources"), field=f"{field}.resources")
    if not resources:
        raise RequestValidationError(
            [f"[{field}.resources] must list endpoint ids or patterns such as [team-a-*], or [*] for every endpoint"],
            param="role_descriptors",
        )
    return roles, None if _EVERY in resources else tuple(resources)


def _joined(pairs: list[tuple[frozenset[Role], _Scope]]) -> Grants:
    scopes = {scope for _, scope in pairs}
    powers = {granted(roles) for roles, _ in pairs}
    if len(scopes) > 1 and len(powers) > 1:
        shown = "; ".join(f"{sorted(r.value for r in roles)} on {list(scope or ['*'])}" for roles, scope in pairs)
        raise RequestValidationError(
            [
                f"[role_descriptors] grant different roles on different endpoints ({shown}); an hfgate key holds one "
                "list of endpoints for all its roles: create one key per list of endpoints"
            ],
            param="role_descriptors",
        )
    roles = _ordered(r for roles, _ in pairs for r in roles)
    endpoints = () if None in scopes else tuple(dict.fromkeys(p for _, scope in pairs for p in scope or ()))
    return Grants(roles=roles, endpoints=endpoints)


def _ordered(roles: Iterable[Role]) -> tuple[Role, ...]:
    chosen = set(roles)
    return tuple(role for role in Role if role in chosen)


def _strings(raw: object, *, field: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) and item for item in raw):
        raise RequestValidationError([f"[{field}] must be a list of strings"], param="role_descriptors")
    return list(raw)
