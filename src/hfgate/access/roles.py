"""The four roles a gateway key can hold, and the roles each one implies.

Modelled on Elasticsearch's cluster privileges: ``manage_inference`` includes ``monitor_inference``;
running inference is a right of its own; ``admin`` (managing keys) includes everything.

Example:
    >>> sorted(r.value for r in granted([Role.MANAGE]))
    ['manage', 'monitor']
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from hfgate.errors import RequestValidationError


class Role(StrEnum):
    ADMIN = "admin"  # create, list and revoke keys; read usage of every key; everything below
    MANAGE = "manage"  # create, update and delete endpoints
    MONITOR = "monitor"  # read endpoints, /metrics and usage
    INFER = "infer"  # run inference


IMPLIES: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.MANAGE: frozenset({Role.MANAGE, Role.MONITOR}),
    Role.MONITOR: frozenset({Role.MONITOR}),
    Role.INFER: frozenset({Role.INFER}),
}


def granted(roles: Iterable[Role]) -> frozenset[Role]:
    """Every role that ``roles`` hold, implied ones included."""
    return frozenset().union(*(IMPLIES[role] for role in roles))


def parse_roles(raw: object, *, field: str = "roles") -> tuple[Role, ...]:
    """Roles from a request body: a non-empty list of role names.

    Raises:
        RequestValidationError: not a list, empty, or an unknown name (the message lists the known ones).
    """
    known = ", ".join(role.value for role in Role)
    if not isinstance(raw, list) or not raw:
        raise RequestValidationError([f"[{field}] must be a non-empty list of roles, from [{known}]"], param=field)
    unknown = [str(name) for name in raw if name not in Role.__members__.values()]
    if unknown:
        raise RequestValidationError([f"unknown role(s) {unknown} in [{field}]; roles are [{known}]"], param=field)
    return tuple(dict.fromkeys(Role(name) for name in raw))
