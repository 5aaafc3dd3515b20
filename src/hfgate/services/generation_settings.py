"""Generation controls every text-generating service accepts as ``task_settings``.

Stored task settings are the endpoint's defaults; a request's ``task_settings`` override them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.services.spec import SettingKind, SettingSpec
from hfgate.tasks import GenerationParams, TaskType

_GENERATING = frozenset({TaskType.COMPLETION, TaskType.CHAT_COMPLETION})


_CONTROLS: tuple[tuple[str, SettingKind, float | None, str, str], ...] = (
    # name, kind, minimum, label, description
    ("max_new_tokens", "int", 1, "Max new tokens", "Most tokens to generate."),
    ("temperature", "float", 0, "Temperature", "Sampling temperature; 0 means greedy."),
    ("top_p", "float", 0, "Top p", "Nucleus sampling: keep the smallest set of tokens with this mass."),
    ("top_k", "int", 1, "Top k", "Sample among the k most likely tokens."),
    ("repetition_penalty", "float", 0, "Repetition penalty", "Above 1 discourages repeats."),
    ("seed", "int", 0, "Seed", "Random seed, for reproducible sampling."),
    ("stop", "list[str]", None, "Stop", "Strings that end generation; never part of the output."),
    ("do_sample", "bool", None, "Sample", "Sample (true) or decode greedily (false)."),
)

GENERATION_TASK_SETTINGS: tuple[SettingSpec, ...] = tuple(
    SettingSpec(
        name=name,
        kind=kind,
        minimum=minimum,
        task_types=_GENERATING,
        updatable=True,
        label=label,
        description=description,
    )
    for name, kind, minimum, label, description in _CONTROLS
)
"""Every control is an updatable task setting of both generating task types."""


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
