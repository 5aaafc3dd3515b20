"""The ``local`` service's settings for embedding models: the engine, its fidelity floor, the choice made."""

from __future__ import annotations

from typing import Any

from hfgate.local.embedding.engine_choice import AUTO_ENGINE, DEFAULT_MIN_COSINE, ENGINES
from hfgate.services.spec import SettingSpec
from hfgate.tasks import TaskType

_EMBEDDING = frozenset({TaskType.TEXT_EMBEDDING, TaskType.SENTENCE_SIMILARITY})  # similarity: the embedder's cosines

LOCAL_EMBEDDING_SETTINGS = (
    SettingSpec(
        name="engine",
        choices=(AUTO_ENGINE, *ENGINES),
        default=AUTO_ENGINE,
        task_types=_EMBEDDING,
        label="Engine",
        description="How an embedding model computes: auto (the fastest engine measured on this machine at the "
        "first load, among those within min_cosine of float32: the cuda ones on a GPU), onnx, onnx-fused, torch "
        "or cuda (sentence-transformers' exact vectors), torch-bf16, torch-amp, onnx-int8, onnx-int8-selective, "
        "cuda-fp16 or cuda-bf16 (approximate).",
    ),
    SettingSpec(
        name="min_cosine",
        kind="float",
        minimum=0,
        default=DEFAULT_MIN_COSINE,
        task_types=_EMBEDDING,
        label="Minimum cosine",
        description="Fidelity to float32 (worst cosine on calibration texts) an approximate engine "
        "(bfloat16, int8) must measure for auto to choose it; 1 keeps auto to exact engines.",
    ),
    SettingSpec(
        name="engine_choice",
        recorded=True,
        task_types=_EMBEDDING,
        label="Engine choice",
        description="Which engine runs and why, with each engine's measured texts/s and cosine; recorded at create.",
    ),
)


def check_min_cosine(settings: dict[str, Any]) -> list[str]:
    """The problem with ``min_cosine`` above 1 (its minimum, 0, is checked by its spec)."""
    min_cosine = settings.get("min_cosine")
    if isinstance(min_cosine, float) and min_cosine > 1:
        return [f"[service_settings] Invalid value [{min_cosine:g}]. [min_cosine] must be at most [1]"]
    return []
