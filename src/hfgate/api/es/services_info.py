"""``GET _inference/_services``: rendered from each service's declared settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.services.base import Service
from hfgate.services.spec import SettingSpec
from hfgate.tasks import TaskType

_TYPE = {"str": "str", "int": "int", "float": "float", "bool": "bool", "object": "map", "list[str]": "list"}


def describe_services(kinds: Mapping[str, type[Service]], task_type: TaskType | None = None) -> list[dict[str, Any]]:
    """Every service of ``kinds`` (or those supporting ``task_type``) with its task types and settings."""
    services = sorted(kinds.values(), key=lambda s: s.name)
    return [_describe(s) for s in services if task_type is None or task_type in offered(s)]


def offered(service: type[Service]) -> frozenset[TaskType]:
    """The service's task types, with ``embedding`` where it runs text_embedding models (which serve it)."""
    return _with_embedding(service.task_types)


def _with_embedding(kinds: frozenset[TaskType]) -> frozenset[TaskType]:
    return kinds | {TaskType.EMBEDDING} if TaskType.TEXT_EMBEDDING in kinds else kinds


def _describe(service: type[Service]) -> dict[str, Any]:
    kinds = sorted(t.value for t in offered(service))
    configurations: dict[str, Any] = {}
    for spec in (*service.service_settings, *service.task_settings):
        described = _configuration(spec, kinds)
        if spec.name in configurations:  # one name declared per task type (e.g. local's engine)
            described = _merged(configurations[spec.name], described)
        configurations[spec.name] = described
    return {
        "service": service.name,
        "name": service.label,
        "task_types": kinds,
        "configurations": configurations,
    }


def _merged(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    merged = {
        **first,
        "supported_task_types": sorted({*first["supported_task_types"], *second["supported_task_types"]}),
    }
    merged["options"] = [*first.get("options", []), *second.get("options", [])]
    merged["description"] = f"{first['description']} {second['description']}"
    merged.pop("default_value", None)  # it differs by task type
    return merged


def _configuration(spec: SettingSpec, kinds: list[str]) -> dict[str, Any]:
    supported = sorted(t.value for t in _with_embedding(spec.task_types)) if spec.task_types else kinds
    described: dict[str, Any] = {
        "description": spec.description,
        "label": spec.label or spec.name,
        "required": spec.required,
        "sensitive": spec.secret,
        "updatable": spec.updatable,
        "type": _TYPE[spec.kind],
        "supported_task_types": supported,
    }
    if spec.default is not None:
        described["default_value"] = spec.default
    if spec.choices:
        described["options"] = list(spec.choices)
    return described
