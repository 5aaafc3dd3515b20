"""The ``local`` service's settings for generation models: the engine, its fidelity floor, the choice made."""

from __future__ import annotations

from hfgate.local.generation.engine_choice import AUTO_ENGINE, DEFAULT_MIN_COSINE
from hfgate.services.spec import SettingSpec
from hfgate.tasks import TaskType

_GENERATING = frozenset({TaskType.COMPLETION, TaskType.CHAT_COMPLETION})

GENERATION_ENGINES = ("transformers", "llama.cpp", "onnx", "onnx-int8", "onnx-int4", "vllm")

DEFAULT_DTYPE = "bfloat16"
"""The transformers engine's weights when ``engine: transformers`` is set without ``dtype``; ``auto``
measures float32 and bfloat16 and picks by itself."""

LOCAL_GENERATION_SETTINGS = (
    SettingSpec(
        name="engine",
        choices=(AUTO_ENGINE, *GENERATION_ENGINES),
        default=AUTO_ENGINE,
        task_types=_GENERATING,
        label="Engine",
        description="auto (default: the fastest engine measured at the first load on this CPU, or on the GPU "
        "where local models run on one, among the exact float32 ones and those within min_cosine of float32), "
        "transformers (always installed; weights in dtype; on the GPU where local models run on one), onnx (ONNX "
        "Runtime, exact float32), onnx-int8 / onnx-int4 (quantized, inexact; the onnx engines run decoder-only "
        "models, on the CPU), llama.cpp (GGUF models only, on the CPU; needs the llama-cpp extra) or vllm (a vLLM "
        "server hfgate starts on the model and supervises; auto picks it on a GPU where vLLM is installed; see "
        "docs/gpu.md).",
    ),
    SettingSpec(
        name="dtype",
        choices=("float32", "bfloat16", "float16"),
        task_types=_GENERATING,
        label="Weights dtype",
        description="For engine transformers: bfloat16 (when not set; faster where bfloat16 is native), "
        "float32 (transformers' exact reference output) or float16 (for GPUs). auto measures them (float16 on a "
        "GPU only) and ignores it. For engine vllm: "
        "vLLM's --dtype (default vLLM's own choice).",
    ),
    SettingSpec(
        name="min_cosine",
        kind="float",
        minimum=0,
        default=DEFAULT_MIN_COSINE,
        task_types=_GENERATING,
        label="Minimum cosine",
        description="Fidelity to transformers float32 (worst cosine of next-token logits on calibration prompts) "
        "an inexact engine (bfloat16, int8, int4) must measure for auto to choose it; 1 keeps auto to exact engines.",
    ),
    SettingSpec(
        name="engine_choice",
        recorded=True,
        task_types=_GENERATING,
        label="Engine choice",
        description="Which engine runs and why, with each engine's measured decode tokens/s and cosine; recorded "
        "at create.",
    ),
)
