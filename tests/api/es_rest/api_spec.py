"""Elasticsearch's REST API specifications (``rest-api-spec/api/*.json``): an API name and its arguments
as one HTTP request, the way Elasticsearch's YAML test runner builds it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

from tests.api.es_rest.sources import SPECS


@dataclass(frozen=True, slots=True)
class Call:
    """One request: method, path, query parameters and JSON body (``None``: no body)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None


@cache
def specs() -> dict[str, dict[str, Any]]:
    """Every pinned specification, by API name (``inference.put``)."""
    loaded: dict[str, dict[str, Any]] = {}
    for source in SPECS:
        loaded.update(json.loads(source.local.read_text(encoding="utf-8")))
    return loaded


def build(api: str, arguments: Mapping[str, Any]) -> Call:
    """The request ``api`` makes with ``arguments``: the path whose parts are all given and most numerous;
    a method with a body when there is one (POST before PUT); the other arguments as query parameters
    (``null`` ones left out, as Elasticsearch's runner does)."""
    spec = specs().get(api)
    if spec is None:
        raise KeyError(f"no pinned API specification for [{api}]; add it to sources.SPECS")
    given = {name: value for name, value in arguments.items() if name != "body" and value is not None}
    paths = [p for p in spec["url"]["paths"] if set(p.get("parts", {})) <= set(given)]
    chosen = max(paths, key=lambda p: len(p.get("parts", {})))
    parts = chosen.get("parts", {})
    path = chosen["path"]
    for name in parts:
        path = path.replace("{" + name + "}", quote(str(given[name]), safe=",*"))
    body = arguments.get("body")
    params = {name: _param(value) for name, value in given.items() if name not in parts}
    return Call(method=_method(chosen["methods"], has_body=body is not None), path=path, params=params, body=body)


def _method(methods: list[str], *, has_body: bool) -> str:
    if has_body:
        for preferred in ("POST", "PUT"):
            if preferred in methods:
                return preferred
    return methods[0]


def _param(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)
