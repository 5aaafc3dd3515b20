"""Which engine runs a local embedding model: the engines by name, and what measuring them is.

With ``engine: auto`` (the default) the first load of a model on a machine times every installed
engine for its device (the ``cuda*`` engines on a GPU, the others on the CPU) on the calibration texts
in a child process (:mod:`~hfgate.local.embedding.engine_measure_worker`) and keeps the fastest one whose
vectors stay within ``min_cosine`` of float32; meanwhile the model serves on :func:`default_engine`
(exact). How a choice is kept, read back and measured again is :mod:`hfgate.local.measuring`, shared
with generation.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path

from hfgate.errors import BadRequestError
from hfgate.local.embedding.cuda_engine import CudaEngine
from hfgate.local.embedding.engine import EmbeddingEngine, EngineOptions
from hfgate.local.embedding.onnx_engine import OnnxEngine
from hfgate.local.embedding.onnx_export import export_on_disk
from hfgate.local.embedding.onnx_quantization import SELECTIVE_MIN_COSINE
from hfgate.local.embedding.pipeline import EmbeddingPipeline
from hfgate.local.embedding.torch_engine import TorchEngine
from hfgate.local.fingerprint import files_digest
from hfgate.local.machine import Machine, machine_of
from hfgate.local.measuring.choice import Measurement, candidates_or_refuse, choose, worker_options
from hfgate.local.measuring.record import MeasuredChoice

EngineLoader = Callable[[Path, EngineOptions], EmbeddingEngine]

ENGINES: dict[str, EngineLoader] = {
    "onnx": lambda path, options: OnnxEngine(path, options),
    "onnx-fused": lambda path, options: OnnxEngine(path, options, variant="fused"),
    "onnx-int8": lambda path, options: OnnxEngine(path, options, variant="int8"),
    "onnx-int8-selective": lambda path, options: OnnxEngine(path, options, variant="int8-selective"),
    "torch": lambda path, options: TorchEngine(path, options),
    "torch-bf16": lambda path, options: TorchEngine(path, options, precision="bf16"),
    "torch-amp": lambda path, options: TorchEngine(path, options, precision="amp"),
    "cuda": lambda path, options: CudaEngine(path, options),
    "cuda-fp16": lambda path, options: CudaEngine(path, options, precision="fp16"),
    "cuda-bf16": lambda path, options: CudaEngine(path, options, precision="bf16"),
}
"""Engines by the name ``service_settings.engine`` takes (the ``cuda*`` ones run on a GPU only)."""

EXACT_ENGINES = frozenset({"torch", "onnx", "onnx-fused", "cuda"})
"""float32 engines: their vectors are sentence-transformers' to rounding (cosine ≥ 0.99999)."""

EXACT_CLASS = "exact"


def engine_class(name: str) -> str:
    """``exact`` for the float32 engines (their vectors agree to rounding, so caches share them), else
    the engine's own name (an inexact engine's vectors are its own).

    Example:
        >>> engine_class("onnx"), engine_class("onnx-int8")
        ('exact', 'onnx-int8')
    """
    return EXACT_CLASS if name in EXACT_ENGINES else name


AUTO_ENGINE = "auto"
"""Let ``choose_engine`` pick by measurement; the default of ``service_settings.engine``."""

DEFAULT_MIN_COSINE = 0.9999
"""The fidelity an inexact engine (bfloat16, int8) must measure to be chosen automatically."""

CHOICE_RECIPE = "v5"
# Room for loading and timing every engine, and a first ONNX export (docs/local-engines.md: costs).
_MEASURE_SECONDS = 900

SPEED_UNIT = "texts/s"
"""The unit of an embedding engine's speed: calibration texts per second (geometric mean over the groups
of passes of each one's fastest round)."""


def candidates(
    pipeline: EmbeddingPipeline, *, min_cosine: float = DEFAULT_MIN_COSINE, device: str = "cpu"
) -> list[str]:
    """The engines installed here that can compute this pipeline on ``device``, in ``ENGINES`` order: on a
    GPU the ``cuda*`` engines, on the CPU the others.

    ``onnx-int8-selective`` is built to keep cosine ``SELECTIVE_MIN_COSINE`` on the calibration texts
    and no more, so it is a candidate only when ``min_cosine`` allows that (building it is slow).
    """
    torch = all(importlib.util.find_spec(m) is not None for m in ("torch", "sentence_transformers"))
    onnx = torch and not pipeline.unsupported  # the ONNX export needs torch
    onnx = onnx and all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))
    if device.startswith("cuda"):
        return [name for name in ENGINES if name.startswith("cuda")] if torch else []
    names = [name for name in ENGINES if (torch if name.startswith("torch") else onnx and name.startswith("onnx"))]
    return [n for n in names if n != "onnx-int8-selective" or min_cosine <= SELECTIVE_MIN_COSINE]


def choose_engine(
    path: Path,
    *,
    options: EngineOptions,
    min_cosine: float = DEFAULT_MIN_COSINE,
    cpu: Machine | None = None,
    names: Sequence[str] | None = None,
    choices_dir: Path | None = None,
) -> MeasuredChoice:
    """The fastest engine for the model at ``path`` on this CPU, measured once per kind of CPU.

    Args:
        path: the model directory.
        options: pipeline, cache directory (where the measurement is kept), threads and measurement attempts.
        min_cosine: the worst cosine to float32 an inexact engine must reach to be chosen.
        cpu: the machine the measurement is filed under; default ``options.device``'s (this CPU, or the GPU).
        names: the engines to try; default every installed one that can run the pipeline.
        choices_dir: where measurements are kept; default ``options.cache_dir / "engine-choice"``.

    Raises:
        BadRequestError: no engine is installed that can run the model.
        HfGateError: the measurement failed (the message gives its last line of error output).

    Example:
        >>> choose_engine(model_dir, options=EngineOptions(pipeline=pipeline, cache_dir=models)).engine
        'torch-bf16'  # on a CPU computing bfloat16 natively, when it measures fastest
    """
    return choose(
        measurement(path, options=options, min_cosine=min_cosine, cpu=cpu, names=names, choices_dir=choices_dir)
    )


def measurement(
    path: Path,
    *,
    options: EngineOptions,
    min_cosine: float = DEFAULT_MIN_COSINE,
    cpu: Machine | None = None,
    names: Sequence[str] | None = None,
    choices_dir: Path | None = None,
) -> Measurement:
    """What measuring the engines of the model at ``path`` is (``choose_engine``'s arguments), for
    :mod:`hfgate.local.measuring.choice`'s ``recorded_choice`` and ``measure_choice``.

    Raises:
        BadRequestError: no engine is installed that can run the model.
    """
    cpu = cpu or machine_of(options.device)
    found = candidates_or_refuse(
        names or candidates(options.pipeline, min_cosine=min_cosine, device=options.device),
        what="embedding",
        model=path,
    )
    return Measurement(
        what="embedding",
        model=path,
        record=choice_file(path, options=options, min_cosine=min_cosine, cpu=cpu, names=found, choices_dir=choices_dir),
        worker="hfgate.local.embedding.engine_measure_worker",
        args=worker_options(
            found, threads=options.threads, min_cosine=min_cosine, device=options.device, cache_dir=options.cache_dir
        ),
        engines=ENGINES,
        cpu=cpu.key,
        timeout=_MEASURE_SECONDS,
        attempts=options.measure_attempts,
    )


def default_engine(path: Path, *, options: EngineOptions) -> str:
    """The exact engine a model serves on while its engines are measured: ``cuda`` on a GPU; on the CPU
    ``onnx`` when its export is already on disk (no export to wait for: in the cache, or made at install by
    ``hfgate prepare``), else ``torch`` (float32, nothing to convert)."""
    if options.on_gpu:
        return "cuda"
    onnx = "onnx" in candidates(options.pipeline) and export_on_disk(path, options.cache_dir)
    return "onnx" if onnx else "torch"


def choice_file(
    path: Path,
    *,
    options: EngineOptions,
    min_cosine: float,
    cpu: Machine,
    names: list[str],
    choices_dir: Path | None = None,
) -> Path:
    """Where the measurement for this model, machine, thread count and fidelity floor is kept."""
    digest = files_digest(path, key=f"{CHOICE_RECIPE}|{path.resolve()}|{options.threads}|{min_cosine}|{names}")
    folder = choices_dir or options.cache_dir / "engine-choice"
    return folder / f"{path.resolve().name}-{digest}-{cpu.key}.json"


def load_engine(name: str, path: Path, *, options: EngineOptions) -> EmbeddingEngine:
    """The engine called ``name``, loaded from the model at ``path``.

    Raises:
        BadRequestError: no engine has that name (the message lists the names), or a ``cuda*`` engine is
            named where local models run on the CPU.
    """
    loader = ENGINES.get(name)
    if loader is None:
        raise BadRequestError(
            f"Unknown engine [{name}]; set [service_settings.engine] to [{AUTO_ENGINE}] or one of "
            f"[{', '.join(ENGINES)}]",
            param="service_settings.engine",
        )
    if name.startswith("cuda") and not options.on_gpu:
        raise BadRequestError(
            f"The engine [{name}] runs on a CUDA GPU but local models run on [{options.device}] here "
            f"(HFGATE_LOCAL_DEVICE); set [service_settings.engine] to [{AUTO_ENGINE}] or a CPU engine",
            param="service_settings.engine",
        )
    return loader(path, options)
