"""What ``apply`` would change: each file entry compared with the registry, checked as the API checks it.

Nothing here writes. Every entry is checked (``Orchestrator.check_create``/``check_update``, the key
body's parser) before any change is made, so a file with one bad entry changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hfgate.access.key_body import KeyRequest, parse_key_request
from hfgate.access.spend import amount
from hfgate.api.apply.desired import Desired, DesiredEndpoint, DesiredKey
from hfgate.api.apply.source import Document, Path
from hfgate.errors import HfGateError, RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.api_keys import StoredKey
from hfgate.registry.endpoint import Endpoint

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    action: Action
    kind: Literal["endpoint", "key"]
    name: str
    details: tuple[str, ...] = ()
    body: dict[str, Any] = field(default_factory=dict)  # the create or _update body
    key: KeyRequest | None = None
    key_ids: tuple[str, ...] = ()  # the stored keys an update or a revocation applies to

    def line(self) -> str:
        sign = {"create": "+", "update": "~", "delete": "-"}[self.action]
        said = "revoke" if self.kind == "key" and self.action == "delete" else self.action
        head = f"{sign} {self.kind} {self.name} ({said})"
        return "\n".join([head, *(f"    {detail}" for detail in self.details)])


@dataclass(slots=True)
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def problems(document: Document, path: Path, exc: HfGateError) -> list[str]:
    """The API's error as file problems: each of a ``Validation Failed``'s items, at the field it names."""
    where = document.where((*path, *exc.param.split(".")) if exc.param else path)
    if isinstance(exc, RequestValidationError):
        return [f"{where} {problem}" for problem in exc.problems]
    return [f"{where} {exc.reason}"]


def secret_names(orchestrator: Orchestrator) -> dict[str, set[str]]:
    """Per service, the names of its secret settings (``api_key``…)."""
    kinds = orchestrator.service_kinds()
    return {name: {spec.name for spec in kind.service_settings if spec.secret} for name, kind in kinds.items()}


def plan_endpoints(
    desired: Desired, document: Document, *, orchestrator: Orchestrator, stored: list[Endpoint], prune: bool,
    plan: Plan,
) -> None:  # fmt: skip
    """Add the endpoint changes (and the problems of endpoint entries) to ``plan``."""
    by_id = {endpoint.inference_id: endpoint for endpoint in stored}
    for entry in desired.endpoints:
        try:
            _plan_endpoint(entry, by_id.get(entry.inference_id), orchestrator=orchestrator, plan=plan)
        except HfGateError as exc:
            plan.problems.extend(problems(document, entry.path, exc))
    if prune:
        named = {entry.inference_id for entry in desired.endpoints}
        gone = [e for e in stored if e.inference_id not in named]
        plan.changes.extend(Change(action="delete", kind="endpoint", name=e.inference_id) for e in gone)


def _plan_endpoint(entry: DesiredEndpoint, current: Endpoint | None, *, orchestrator: Orchestrator, plan: Plan) -> None:
    if current is None:
        orchestrator.check_create(inference_id=entry.inference_id, task_type=None, body=entry.body)
        plan.changes.append(Change(action="create", kind="endpoint", name=entry.inference_id, body=entry.body))
        return
    for name in ("task_type", "service"):
        now = current.task_type.value if name == "task_type" else current.service
        if entry.body.get(name) not in (None, now):
            raise HfGateError(
                f"[{name}] cannot change from [{now}] to [{entry.body[name]}]: give the endpoint a new id "
                "(and apply with --prune to delete the old one)"
            )
    secrets = secret_names(orchestrator).get(current.service, set())
    body, details = endpoint_update(current, entry.body, secrets=secrets)
    if not body:
        plan.unchanged += 1
        return
    orchestrator.check_update(current, body=body)
    plan.changes.append(Change(action="update", kind="endpoint", name=entry.inference_id, details=details, body=body))


def endpoint_update(
    current: Endpoint, wanted: dict[str, Any], *, secrets: set[str]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The ``_update`` body that makes ``current`` what the file says, and one line per change (no secret)."""
    body: dict[str, Any] = {}
    details: list[str] = []
    settings = {}
    for name, value in (wanted.get("service_settings") or {}).items():
        if name in secrets:
            if current.secrets.get(name) != value:
                settings[name] = value
                details.append(f"service_settings.{name}: (secret changed)")
        elif current.service_settings.get(name) != value:
            settings[name] = value
            details.append(f"service_settings.{name}: {current.service_settings.get(name)!r} → {value!r}")
    if settings:
        body["service_settings"] = settings
    for section in ("task_settings", "chunking_settings"):
        value, now = wanted.get(section), getattr(current, section)
        if value is not None and value != now:
            body[section] = value
            details.append(f"{section}: {now!r} → {value!r}")
    return body, tuple(details)


def plan_keys(desired: Desired, document: Document, *, stored: list[StoredKey], prune: bool, plan: Plan) -> None:
    """Add the key changes (and the problems of key entries) to ``plan``; keys are matched by name."""
    active = [key for key in stored if key.active()]
    for entry in desired.keys:
        try:
            _plan_key(entry, [key for key in active if key.name == entry.name], plan=plan)
        except HfGateError as exc:
            plan.problems.extend(problems(document, entry.path, exc))
    if prune:
        named = {entry.name for entry in desired.keys}
        for name in sorted({key.name for key in active} - named):
            ids = tuple(key.key_id for key in active if key.name == name)
            plan.changes.append(Change(action="delete", kind="key", name=name, key_ids=ids))


def _plan_key(entry: DesiredKey, current: list[StoredKey], *, plan: Plan) -> None:
    request = parse_key_request(entry.body)
    if not current:
        plan.changes.append(Change(action="create", kind="key", name=entry.name, key=request))
        return
    differ = [key for key in current if key_details(key, request)]
    if not differ:
        plan.unchanged += 1
        return
    details = key_details(differ[0], request)
    ids = tuple(key.key_id for key in differ)
    plan.changes.append(Change(action="update", kind="key", name=entry.name, details=details, key=request, key_ids=ids))


def key_details(key: StoredKey, request: KeyRequest) -> tuple[str, ...]:
    """One line per field of ``key`` the request sets otherwise."""
    pairs = {
        "roles": (list(key.roles), [role.value for role in request.roles]),
        "endpoints": (list(key.endpoints), list(request.endpoints)),
        "limits.requests_per_minute": (key.requests_per_minute, request.requests_per_minute),
        "limits.tokens_per_minute": (key.tokens_per_minute, request.tokens_per_minute),
        "limits.usd_per_day": (amount(key.day_budget), amount(request.day_budget)),
        "limits.usd_per_month": (amount(key.month_budget), amount(request.month_budget)),
    }
    return tuple(f"{name}: {now!r} → {wanted!r}" for name, (now, wanted) in pairs.items() if now != wanted)
