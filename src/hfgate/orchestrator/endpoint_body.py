"""Turning create and ``_update`` bodies into a checked :class:`Endpoint`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.access.spend import price_problems
from hfgate.chunking import validate_chunking_settings
from hfgate.errors import BadRequestError, ParseError, RequestValidationError
from hfgate.registry.endpoint import Endpoint, served_kind
from hfgate.services.base import Service
from hfgate.services.spec import ParsedSection, SettingSpec, format_unknown, parse_section
from hfgate.tasks import TaskType

CREATE_FIELDS = ("service", "service_settings", "task_settings", "chunking_settings", "task_type")
UPDATE_FIELDS = ("service_settings", "task_settings", "chunking_settings")


def check_fields(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse unknown top-level fields and sections that are not objects.

    Raises:
        ParseError: naming the field and the fields allowed.
    """
    for key in body:
        if key not in allowed:
            raise ParseError(
                f"Unknown field [{key}] in the request body; the fields allowed are [{', '.join(allowed)}]",
                param=key,
            )
    for key in ("service_settings", "task_settings"):
        if key in body and not isinstance(body[key], dict):
            raise ParseError(f"[{key}] must be an object, got [{_json_type(body[key])}]", param=key)


def build_endpoint(
    *, inference_id: str, task_type: TaskType, body: Mapping[str, Any], service: type[Service]
) -> Endpoint:
    """A new endpoint from a create body, every setting checked.

    Raises:
        RequestValidationError: missing or invalid settings (Elasticsearch's ``Validation Failed``).
        BadRequestError: unsupported task type, or settings the service does not know.
    """
    if served_kind(task_type) not in service.task_types:
        raise BadRequestError(
            f"The [{service.name}] service does not support task type [{task_type.value}]", param="task_type"
        )
    settings = _parse(service, task_type, raw=body.get("service_settings") or {}, section="service_settings")
    tasks = _parse(service, task_type, raw=body.get("task_settings") or {}, section="task_settings")
    _raise_problems(service, [settings, tasks])
    return Endpoint(
        inference_id=inference_id,
        task_type=task_type,
        service=service.name,
        service_settings=settings.values,
        secrets=settings.secrets,
        task_settings=tasks.values,
        chunking_settings=chunking_for(task_type, body.get("chunking_settings")),
    )


def apply_update(endpoint: Endpoint, body: Mapping[str, Any], *, service: type[Service]) -> Endpoint:
    """``endpoint`` with an ``_update`` body applied: secrets, task settings, updatable settings, chunking.

    Raises:
        BadRequestError: a setting that cannot change after create, or an unknown one.
        RequestValidationError: an invalid value.
    """
    changes = body.get("service_settings") or {}
    _refuse_fixed(service, endpoint.task_type, changes=changes)
    merged = {**endpoint.service_settings, **endpoint.secrets, **changes}
    settings = _parse(service, endpoint.task_type, raw=merged, section="service_settings")
    tasks = _parse(
        service,
        endpoint.task_type,
        raw={**endpoint.task_settings, **(body.get("task_settings") or {})},
        section="task_settings",
    )
    _raise_problems(service, [settings, tasks])
    chunking = endpoint.chunking_settings
    if "chunking_settings" in body:
        chunking = chunking_for(endpoint.task_type, body["chunking_settings"])
    return endpoint.evolve(
        service_settings=settings.values,
        secrets=settings.secrets,
        task_settings=tasks.values,
        chunking_settings=chunking,
    )


def check_task_settings(service: type[Service], task_type: TaskType, *, raw: Any) -> dict[str, Any]:
    """A request's ``task_settings`` override, checked against what the service accepts."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParseError(f"[task_settings] must be an object, got [{_json_type(raw)}]", param="task_settings")
    parsed = _parse(service, task_type, raw=raw, section="task_settings", fill_defaults=False)
    _raise_problems(service, [parsed])
    return parsed.values


def chunking_for(task_type: TaskType, raw: Any) -> dict[str, Any] | None:
    """Checked chunking settings with defaults filled in; ``None`` for task types that do not chunk."""
    if not task_type.embeds:
        if raw is not None:
            raise BadRequestError(
                f"[chunking_settings] apply only to [text_embedding, sparse_embedding] endpoints, not to "
                f"[{task_type.value}]; remove them",
                param="chunking_settings",
            )
        return None
    if raw is not None and not isinstance(raw, dict):
        raise ParseError(f"[chunking_settings] must be an object, got [{_json_type(raw)}]", param="chunking_settings")
    return validate_chunking_settings(raw)


def _parse(
    service: type[Service],
    task_type: TaskType,
    *,
    raw: Mapping[str, Any],
    section: str,
    fill_defaults: bool = True,
) -> ParsedSection:
    specs: tuple[SettingSpec, ...] = (
        service.service_settings if section == "service_settings" else service.task_settings
    )
    task_type = served_kind(task_type)  # ``embedding`` takes its text_embedding models' settings
    parsed = parse_section(raw, specs=specs, task_type=task_type, section=section)
    if section == "service_settings":
        parsed.problems.extend(service.cross_check(task_type, {**parsed.values, **parsed.secrets}))
        parsed.problems.extend(price_problems(parsed.values.get("price")))
    if not fill_defaults:
        parsed.values = {k: v for k, v in parsed.values.items() if k in raw}
    return parsed


def _raise_problems(service: type[Service], sections: list[ParsedSection]) -> None:
    problems = [p for s in sections for p in s.problems]
    if problems:
        raise RequestValidationError(problems)
    unknown = {k: v for s in sections for k, v in s.unknown.items()}
    if unknown:
        raise BadRequestError(
            f"Configuration contains settings [{format_unknown(unknown)}] unknown to the [{service.name}] service",
            param=next(iter(unknown)),
        )


def _refuse_fixed(service: type[Service], task_type: TaskType, *, changes: Mapping[str, Any]) -> None:
    task_type = served_kind(task_type)
    updatable = {s.name for s in service.service_settings if s.updatable and s.applies_to(task_type)}
    known = {s.name for s in service.service_settings if s.applies_to(task_type)}
    fixed = sorted(k for k in changes if k in known and k not in updatable)
    if fixed:
        raise BadRequestError(
            f"[service_settings] [{', '.join(fixed)}] cannot be updated; the settings that can are "
            f"[{', '.join(sorted(updatable))}]. To change the others, delete the endpoint and create it "
            "again",
            param=f"service_settings.{fixed[0]}",
        )


def _json_type(value: Any) -> str:
    names = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
