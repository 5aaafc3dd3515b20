"""Generation controls every text-generating service accepts as ``task_settings``.

Stored task settings are the endpoint's defaults; a request's ``task_settings`` override them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.services.spec import N_, SettingKind, SettingSpec, check_value
from hfgate.tasks import GenerationParams, TaskType

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
        if value is not None and (problem := check_value(spec, value)) is not None:
            raise BadRequestError(problem, param=spec.name)
    return merged


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
