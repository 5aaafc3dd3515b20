"""Elasticsearch's has-privileges check for a key: which asked privileges its roles and endpoints hold.

``cluster`` privileges are those of :data:`~hfgate.access.role_descriptors.CLUSTER` (a key limited to some
endpoints holds none: they apply to every endpoint); application ``hfgate``'s privileges are role names
(``*``: every role) on endpoint ids or patterns; there are no indices, so no index privilege is held, and
other applications hold nothing. Unknown privileges are simply not held, as in Elasticsearch.

Example:
    >>> from hfgate.access.roles import Role
    >>> check(Grants(roles=(Role.MONITOR, Role.INFER)), {"cluster": ["monitor", "manage"]})["cluster"]
    {'monitor': True, 'manage': False}
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from hfgate.access.role_descriptors import APPLICATION, CLUSTER, Grants
from hfgate.access.roles import Role, granted
from hfgate.errors import RequestValidationError

FIELDS = ("cluster", "index", "application")


def check(grants: Grants, body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"has_all_requested", "cluster", "index", "application"}`` for the privileges ``body`` asks about.

    Raises:
        RequestValidationError: an unknown field, or a part that is not a list of the right objects.
    """
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise RequestValidationError([f"unknown field(s) {unknown}; the fields are {list(FIELDS)}"])
    cluster = {name: _cluster(grants, name) for name in _strings(body.get("cluster", []), "cluster")}
    index = {
        name: dict.fromkeys(_strings(entry.get("privileges"), "index.privileges"), False)
        for entry in _entries(body.get("index", []), "index")
        for name in _strings(entry.get("names"), "index.names")
    }
    application: dict[str, dict[str, dict[str, bool]]] = {}
    for entry in _entries(body.get("application", []), "application"):
        app = str(entry.get("application"))
        for resource in _strings(entry.get("resources"), "application.resources"):
            held = application.setdefault(app, {}).setdefault(resource, {})
            for privilege in _strings(entry.get("privileges"), "application.privileges"):
                held[privilege] = app == APPLICATION and _application(grants, privilege, resource)
    answers = [*cluster.values(), *(v for p in index.values() for v in p.values())]
    answers += [v for resources in application.values() for p in resources.values() for v in p.values()]
    return {"has_all_requested": all(answers), "cluster": cluster, "index": index, "application": application}


def _cluster(grants: Grants, name: str) -> bool:
    needed = CLUSTER.get(name)
    return needed is not None and not grants.endpoints and needed <= granted(grants.roles)


def _application(grants: Grants, privilege: str, resource: str) -> bool:
    held = {role.value for role in granted(grants.roles)}
    roles_held = held == {role.value for role in Role} if privilege == "*" else privilege in held
    return roles_held and (not grants.endpoints or any(fnmatch.fnmatchcase(resource, p) for p in grants.endpoints))


def _entries(raw: object, field: str) -> list[Mapping[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise RequestValidationError([f"[{field}] must be a list of objects"], param=field)
    return raw


def _strings(raw: object, field: str) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise RequestValidationError([f"[{field}] must be a list of names"], param=field)
    return raw
