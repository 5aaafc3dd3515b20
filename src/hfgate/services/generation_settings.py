"""Generation controls every text-generating service accepts as ``task_settings``.

Stored task settings are the endpoint's defaults; a request's ``task_settings`` override them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.services.spec import SettingSpec
from hfgate.tasks import GenerationParams, TaskType

_GENERATING = frozenset({TaskType.COMPLETION, TaskType.CHAT_COMPLETION})

GENERATION_TASK_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name="max_new_tokens",
        kind="int",
        minimum=1,
        task_types=_GENERATING,
        updatable=True,
        label="Max new tokens",
        description="Most tokens to generate.",
    ),
    SettingSpec(
        name="temperature",
        kind="float",
        minimum=0,
        task_types=_GENERATING,
        updatable=True,
        label="Temperature",
        description="Sampling temperature; 0 means greedy.",
    ),
    SettingSpec(
        name="top_p",
        kind="float",
        minimum=0,
        task_types=_GENERATING,
        updatable=True,
        label="Top p",
        description="Nucleus sampling: keep the smallest set of tokens with this mass.",
    ),
    SettingSpec(
        name="top_k",
        kind="int",
        minimum=1,
        task_types=_GENERATING,
        updatable=True,
        label="Top k",
        description="Sample among the k most likely tokens.",
    ),
    SettingSpec(
        name="repetition_penalty",
        kind="float",
        minimum=0,
        task_types=_GENERATING,
        updatable=True,
        label="Repetition penalty",
        description="Above 1 discourages repeats.",
    ),
    SettingSpec(
        name="seed",
        kind="int",
        minimum=0,
        task_types=_GENERATING,
        updatable=True,
        label="Seed",
        description="Random seed, for reproducible sampling.",
    ),
    SettingSpec(
        name="stop",
        kind="list[str]",
        task_types=_GENERATING,
        updatable=True,
        label="Stop",
        description="Strings that end generation; never part of the output.",
    ),
    SettingSpec(
        name="do_sample",
        kind="bool",
        task_types=_GENERATING,
        updatable=True,
        label="Sample",
        description="Sample (true) or decode greedily (false).",
    ),
)


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
