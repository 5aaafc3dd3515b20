"""Declared settings of a service, and their parsing with Elasticsearch's validation messages.

A service lists :class:`SettingSpec` entries; :func:`parse_section` checks a user's map against them,
and ``GET _inference/_services`` is rendered from the same declarations.

Settings every service of a kind shares are declared here too: the generation controls every text-generating
service accepts as ``task_settings`` (:data:`GENERATION_TASK_SETTINGS`: stored ones are the endpoint's defaults, a
request's override them, and :func:`merged_params` is the one merge and the one check of both); the rerank controls
(:data:`RERANK_TASK_SETTINGS`, Elasticsearch's, which a request's ``top_n`` and ``return_documents`` override); and
the ``cache`` setting every embedding service declares (:data:`CACHE_SETTING`), a service setting like any other:
whether its vectors (dense or sparse) and rerank scores go through the embedding cache, read once by each model
object when its endpoint is opened (``Model.cache_on``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from hfgate.errors import BadRequestError
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import GenerationParams, TaskType


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name, found by the extractor (babel.cfg)
    """Mark a setting's label or description for translation; the web page translates it where it shows it."""
    return message


SettingKind = Literal["str", "int", "float", "bool", "object", "list[str]"]

_JAVA_TYPE = {"str": "String", "int": "Integer", "float": "Double", "bool": "Boolean"}
_JAVA_TYPE |= {"object": "Map", "list[str]": "List"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingSpec:
    """One setting a service accepts.

    ``task_types`` empty means every task type the service supports. ``recorded`` settings may be
    given by the user but are otherwise filled in by the service when the endpoint is created.
    """

    name: str
    kind: SettingKind = "str"
    label: str = ""
    description: str = ""
    required: bool = False
    secret: bool = False
    updatable: bool = False
    recorded: bool = False
    default: Any = None
    task_types: frozenset[TaskType] = frozenset()
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    above: float | None = None
    """An exclusive lower bound (``top_p`` must be above 0)."""
    maximum: float | None = None
    children: tuple[SettingSpec, ...] = ()

    def applies_to(self, task_type: TaskType) -> bool:
        return not self.task_types or task_type in self.task_types


@dataclass(slots=True)
class ParsedSection:
    """The outcome of checking one settings map."""

    values: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unknown: dict[str, Any] = field(default_factory=dict)


def parse_section(
    raw: Mapping[str, Any],
    *,
    specs: Iterable[SettingSpec],
    task_type: TaskType,
    section: str,
) -> ParsedSection:
    """Check ``raw`` (one of ``service_settings``/``task_settings``) against ``specs``.

    Missing required settings, wrong types and out-of-range values become ``problems`` (Elasticsearch's
    ``Validation Failed`` items); keys no spec names become ``unknown``. Defaults are filled in.
    """
    parsed = ParsedSection()
    remaining = dict(raw)
    for spec in specs:
        if not spec.applies_to(task_type):
            continue
        _parse_one(spec, remaining.pop(spec.name, None), parsed=parsed, section=section)
    parsed.unknown = remaining
    return parsed


def _parse_one(spec: SettingSpec, value: Any, *, parsed: ParsedSection, section: str) -> None:
    if value is None:
        if spec.required:
            where = "secret_settings" if spec.secret else section
            parsed.problems.append(f"[{where}] does not contain the required setting [{spec.name}]")
        elif spec.default is not None:
            parsed.values[spec.name] = spec.default
        return
    problem = check_value(spec, value)
    if problem is not None:
        parsed.problems.append(f"[{section}] {problem}")
    elif spec.secret:
        parsed.secrets[spec.name] = value
    elif spec.kind == "object":
        parsed.values[spec.name] = _parse_object(spec, value, parsed=parsed, section=section)
    else:
        parsed.values[spec.name] = float(value) if spec.kind == "float" else value


def _parse_object(
    spec: SettingSpec, value: Mapping[str, Any], *, parsed: ParsedSection, section: str
) -> dict[str, Any]:
    inner = ParsedSection()
    remaining = dict(value)
    for child in spec.children:
        _parse_one(child, remaining.pop(child.name, None), parsed=inner, section=f"{section}.{spec.name}")
    parsed.problems.extend(inner.problems)
    parsed.unknown.update({f"{spec.name}.{k}": v for k, v in remaining.items()})
    return inner.values


def check_value(spec: SettingSpec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec``, or ``None`` when it does."""
    if not _has_kind(spec.kind, value):
        return (
            f"field [{spec.name}] is not of the expected type. The value [{_show(value)}] cannot be "
            f"converted to a [{_JAVA_TYPE[spec.kind]}]"
        )
    if spec.choices and value not in spec.choices:
        return f"Invalid value [{value}] received. [{spec.name}] must be one of [{', '.join(spec.choices)}]"
    if spec.minimum is not None and value < spec.minimum:
        if spec.minimum == 1 and spec.kind == "int":
            return f"Invalid value [{value}]. [{spec.name}] must be a positive integer"
        return f"Invalid value [{value}]. [{spec.name}] must be greater than or equal to [{spec.minimum:g}]"
    if (spec.above is not None and value <= spec.above) or (spec.maximum is not None and value > spec.maximum):
        return f"Invalid value [{value}]. [{spec.name}] must be {_range(spec)}"
    if spec.kind == "str" and not value.strip():
        return f"Invalid value empty string. [{spec.name}] must be a non-empty string"
    return None


def _range(spec: SettingSpec) -> str:
    """``greater than [0] and at most [1]``: the bounds ``above`` and ``maximum`` in words."""
    parts = [f"greater than [{spec.above:g}]"] if spec.above is not None else []
    if spec.maximum is not None:
        parts.append(f"at most [{spec.maximum:g}]")
    return " and ".join(parts)


def _has_kind(kind: SettingKind, value: Any) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    expected = {"str": str, "bool": bool, "object": dict}[kind]
    return isinstance(value, expected)


def _show(value: Any) -> str:
    return str(value) if not isinstance(value, dict | list) else type(value).__name__


def format_unknown(unknown: Mapping[str, Any]) -> str:
    """Java's ``Map.toString`` of the unknown keys, as Elasticsearch prints them: ``{k=v, k2=v2}``."""
    return "{" + ", ".join(f"{k}={_show(v)}" for k, v in unknown.items()) + "}"


_GENERATING = frozenset({TaskType.COMPLETION, TaskType.CHAT_COMPLETION})


def _control(
    name: str, kind: SettingKind, label: str, description: str, *, minimum: float | None = None,
    above: float | None = None, maximum: float | None = None,
) -> SettingSpec:  # fmt: skip
    return SettingSpec(
        name=name, kind=kind, task_types=_GENERATING, updatable=True, label=label, description=description,
        minimum=minimum, above=above, maximum=maximum,
    )  # fmt: skip


GENERATION_TASK_SETTINGS: tuple[SettingSpec, ...] = (
    _control("max_new_tokens", "int", N_("Max new tokens"), N_("Most tokens to generate."), minimum=1),
    _control("temperature", "float", N_("Temperature"), N_("Sampling temperature; 0 means greedy."), minimum=0),
    _control(
        "top_p",
        "float",
        N_("Top p"),
        N_("Nucleus sampling: keep the smallest set of tokens with this mass."),
        above=0,
        maximum=1,
    ),
    _control("top_k", "int", N_("Top k"), N_("Sample among the k most likely tokens."), minimum=1),
    _control("repetition_penalty", "float", N_("Repetition penalty"), N_("Above 1 discourages repeats."), above=0),
    _control("seed", "int", N_("Seed"), N_("Random seed, for reproducible sampling."), minimum=0),
    _control("stop", "list[str]", "Stop", "Strings that end generation; never part of the output."),
    _control("do_sample", "bool", "Sample", "Sample (true) or decode greedily (false)."),
)
"""Every control is an updatable task setting of both generating task types; its bounds are checked at
create (stored values) and on every request (:func:`merged_params`), so a value stored at create never
fails later requests and a request's value is refused alike whichever face and service it goes to. The
numeric ones are the playground's fields: their labels and descriptions are marked (``N_``) for the web
page, which translates them where it shows them."""


_RANGED = tuple(spec for spec in GENERATION_TASK_SETTINGS if spec.kind in ("int", "float"))


def merged_params(task_settings: Mapping[str, Any], given: GenerationParams | None = None) -> GenerationParams:
    """A request's parameters where it gives them, else the endpoint's stored ``task_settings``, checked
    against the table above: the one merge and the one check (the orchestrator's), so a service receives
    every parameter the endpoint sets, each in its range, whichever face the request came through.

    Raises:
        BadRequestError: a parameter is out of its range; the reason names it and the range.

    Example:
        >>> merged_params({"max_new_tokens": 9, "top_k": 3}, GenerationParams(max_new_tokens=5)).top_k
        3
    """
    merged = generation_params(task_settings)
    if given is not None:
        fields = {k: getattr(given, k) for k in GenerationParams.__dataclass_fields__}
        merged = replace(merged, **{k: v for k, v in fields.items() if v is not None and v != ()})
    for spec in _RANGED:
        value = getattr(merged, spec.name)
        if value is not None and check_value(spec, value) is not None:
            name = _named(spec.name, given)
            raise BadRequestError(check_value(replace(spec, name=name), value) or "", param=name)
    return merged


def _named(control: str, given: GenerationParams | None) -> str:
    """The field a control's value came from: the request's own (its face's name for it), else the
    endpoint's stored ``task_settings``."""
    if given is not None and getattr(given, control) is not None:
        return given.sent_as.get(control, control)
    return f"task_settings.{control}"


def generation_params(task_settings: Mapping[str, Any]) -> GenerationParams:
    """The :class:`GenerationParams` that checked ``task_settings`` describe."""
    return GenerationParams(
        max_new_tokens=task_settings.get("max_new_tokens"),
        temperature=task_settings.get("temperature"),
        top_p=task_settings.get("top_p"),
        top_k=task_settings.get("top_k"),
        repetition_penalty=task_settings.get("repetition_penalty"),
        seed=task_settings.get("seed"),
        stop=tuple(task_settings.get("stop") or ()),
        do_sample=task_settings.get("do_sample"),
    )


_RERANK = frozenset({TaskType.RERANK})

RERANK_TASK_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name="return_documents",
        kind="bool",
        task_types=_RERANK,
        updatable=True,
        description="Return each document's text with its score.",
    ),
    SettingSpec(
        name="top_n",
        kind="int",
        minimum=1,
        task_types=_RERANK,
        updatable=True,
        description="Most hits returned.",
    ),
)


CACHED = frozenset({TaskType.TEXT_EMBEDDING, TaskType.SPARSE_EMBEDDING, TaskType.RERANK})
CACHE_SETTING = SettingSpec(
    name="cache",
    choices=("on", "off"),
    updatable=True,
    task_types=CACHED,
    label="Embedding cache",
    description="on (the default): each text's vector (a rerank: each query and document's score) is kept and "
    "served again while the model is the same; "
    "off: every text is computed. A request may skip the cache with ?cache=false.",
)


def caches(endpoint: Endpoint) -> bool:
    """Whether ``endpoint``'s vectors or scores go through the embedding cache (``cache`` is ``on`` when absent)."""
    return endpoint.task_type in CACHED and endpoint.service_settings.get("cache", "on") != "off"
