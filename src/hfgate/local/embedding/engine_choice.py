"""Which engine runs a local embedding model: the engines by name, and the pick made by measurement.

With ``engine: auto`` (the default) the first load of a model on a machine times every installed
engine on the calibration texts (``calibration``) in a child process (``engine_measure_worker``) and
keeps the fastest one whose vectors stay within ``min_cosine`` of float32. The result is kept beside
the converted models, keyed by the model's files, the CPU's model name and flags, the thread count
and ``min_cosine``: later loads on the same kind of machine reuse it and load only the winner.
Nobody waits for that first measurement: the model serves meanwhile on ``default_engine`` (exact) and
switches when it ends (``SentenceEmbedder.switch_engine``, started by ``engine_switch``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from hfgate.errors import BadRequestError, HfGateError
from hfgate.local.cpu import CpuSignature, read_cpu
from hfgate.local.embedding.engine import EmbeddingEngine, EngineOptions
from hfgate.local.embedding.measurement import SPEED_UNIT
from hfgate.local.embedding.onnx_engine import OnnxEngine
from hfgate.local.embedding.onnx_export import export_path
from hfgate.local.embedding.onnx_quantization import SELECTIVE_MIN_COSINE
from hfgate.local.embedding.pipeline import EmbeddingPipeline
from hfgate.local.embedding.torch_engine import TorchEngine
from hfgate.local.engine_record import MEASURING, MeasuredChoice, next_attempt, read_choice, reusable_choice
from hfgate.local.measure_child import run_measure_worker

log = logging.getLogger("hfgate.local")

EngineLoader = Callable[[Path, EngineOptions], EmbeddingEngine]

ENGINES: dict[str, EngineLoader] = {
    "onnx": lambda path, options: OnnxEngine(path, options),
    "onnx-fused": lambda path, options: OnnxEngine(path, options, variant="fused"),
    "onnx-int8": lambda path, options: OnnxEngine(path, options, variant="int8"),
    "onnx-int8-selective": lambda path, options: OnnxEngine(path, options, variant="int8-selective"),
    "torch": lambda path, options: TorchEngine(path, options),
    "torch-bf16": lambda path, options: TorchEngine(path, options, precision="bf16"),
    "torch-amp": lambda path, options: TorchEngine(path, options, precision="amp"),
}
"""Engines by the name ``service_settings.engine`` takes."""

EXACT_ENGINES = frozenset({"torch", "onnx", "onnx-fused"})
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
# Loading five engines and timing them takes ~10-30 s for MiniLM; a first ONNX export adds ~10 s.
_MEASURE_SECONDS = 900


def candidates(pipeline: EmbeddingPipeline, *, min_cosine: float = DEFAULT_MIN_COSINE) -> list[str]:
    """The engines installed here that can compute this pipeline, in ``ENGINES`` order.

    ``onnx-int8-selective`` is built to keep cosine ``SELECTIVE_MIN_COSINE`` on the calibration texts
    and no more, so it is a candidate only when ``min_cosine`` allows that (building it takes ~1 min).
    """
    torch = all(importlib.util.find_spec(m) is not None for m in ("torch", "sentence_transformers"))
    onnx = torch and not pipeline.unsupported  # the ONNX export needs torch
    onnx = onnx and all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))
    names = [name for name in ENGINES if (torch if name.startswith("torch") else onnx)]
    return [n for n in names if n != "onnx-int8-selective" or min_cosine <= SELECTIVE_MIN_COSINE]


def choose_engine(
    path: Path,
    *,
    options: EngineOptions,
    min_cosine: float = DEFAULT_MIN_COSINE,
    cpu: CpuSignature | None = None,
    names: Sequence[str] | None = None,
    choices_dir: Path | None = None,
) -> MeasuredChoice:
    """The fastest engine for the model at ``path`` on this CPU, measured once per kind of CPU.

    Args:
        path: the model directory.
        options: pipeline, cache directory (where the measurement is kept) and threads.
        min_cosine: the worst cosine to float32 an inexact engine must reach to be chosen.
        cpu: the CPU the measurement is filed under; default this machine's.
        names: the engines to try; default every installed one that can run the pipeline.
        choices_dir: where measurements are kept; default ``options.cache_dir / "engine-choice"``.

    Raises:
        BadRequestError: no engine is installed that can run the model.
        HfGateError: the measurement failed (the message gives its last line of error output).

    Example:
        >>> choose_engine(model_dir, options=EngineOptions(pipeline=pipeline, cache_dir=models)).engine
        'torch-bf16'  # on a CPU computing bfloat16 natively, when it measures fastest
    """
    cached = recorded_choice(
        path, options=options, min_cosine=min_cosine, cpu=cpu, names=names, choices_dir=choices_dir
    )
    if cached is not None:
        return cached
    return measure_choice(path, options=options, min_cosine=min_cosine, cpu=cpu, names=names, choices_dir=choices_dir)


def recorded_choice(
    path: Path,
    *,
    options: EngineOptions,
    min_cosine: float = DEFAULT_MIN_COSINE,
    cpu: CpuSignature | None = None,
    names: Sequence[str] | None = None,
    choices_dir: Path | None = None,
) -> MeasuredChoice | None:
    """The choice measured earlier for this model on this kind of CPU, or ``None`` (nothing measured yet).

    Takes ``choose_engine``'s arguments. Raises ``BadRequestError`` when no engine is installed.
    """
    cpu = cpu or read_cpu()
    names = _names(path, options=options, min_cosine=min_cosine, names=names)
    record = choice_file(path, options=options, min_cosine=min_cosine, cpu=cpu, names=names, choices_dir=choices_dir)
    cached = reusable_choice(record, attempts=options.measure_attempts)
    if cached is None or cached.engine not in ENGINES:
        return None
    log.info(
        "embedding engine chosen earlier on this CPU",
        extra={"event": "model.engine.cached", "model": str(path), "engine": cached.engine, "cpu": cpu.key},
    )
    return cached


def measure_choice(
    path: Path,
    *,
    options: EngineOptions,
    min_cosine: float = DEFAULT_MIN_COSINE,
    cpu: CpuSignature | None = None,
    names: Sequence[str] | None = None,
    choices_dir: Path | None = None,
) -> MeasuredChoice:
    """Measure the engines in a child process now (blocking), keep the result and return it.

    Takes ``choose_engine``'s arguments and raises as it does.
    """
    cpu = cpu or read_cpu()
    names = _names(path, options=options, min_cosine=min_cosine, names=names)
    record = choice_file(path, options=options, min_cosine=min_cosine, cpu=cpu, names=names, choices_dir=choices_dir)
    _measure_in_child(path, record=record, options=options, min_cosine=min_cosine, names=names)
    choice = read_choice(record)
    if choice is None:
        raise HfGateError(f"Measuring the engines of [{path}] wrote no result to [{record}]")
    figures = {f.engine: (f.speed, f.worst_cosine, f.error) for f in choice.figures}
    log.info(
        "embedding engine chosen by measurement",
        extra={"event": "model.engine.measured", "model": str(path), "engine": choice.engine, "figures": figures},
    )
    return replace(choice, reason="measured")


def default_engine(path: Path, *, options: EngineOptions) -> str:
    """The exact engine a model serves on while its engines are measured: ``onnx`` when its export is
    already on disk (no export to wait for), else ``torch`` (float32, nothing to convert)."""
    onnx = "onnx" in candidates(options.pipeline) and export_path(path, options.cache_dir).is_file()
    return "onnx" if onnx else "torch"


def measuring(name: str, *, min_cosine: float = DEFAULT_MIN_COSINE) -> MeasuredChoice:
    """The record of a model serving on ``name`` while its engines are measured in the background."""
    return MeasuredChoice(
        engine=name, reason=MEASURING, cpu=read_cpu().describe(), min_cosine=min_cosine, unit=SPEED_UNIT
    )


def _names(path: Path, *, options: EngineOptions, min_cosine: float, names: Sequence[str] | None) -> list[str]:
    found = list(names or candidates(options.pipeline, min_cosine=min_cosine))
    if not found:
        raise BadRequestError(
            f"No embedding engine is installed that can run [{path}]; install the extra with "
            "`pip install torch==2.13.0 'hfgate[local]'`"
        )
    return found


def set_engine(name: str, *, min_cosine: float = DEFAULT_MIN_COSINE) -> MeasuredChoice:
    """The record of an engine chosen by ``service_settings.engine`` (nothing measured)."""
    return MeasuredChoice(engine=name, reason="set", cpu=read_cpu().describe(), min_cosine=min_cosine, unit=SPEED_UNIT)


def choice_file(
    path: Path,
    *,
    options: EngineOptions,
    min_cosine: float,
    cpu: CpuSignature,
    names: list[str],
    choices_dir: Path | None = None,
) -> Path:
    """Where the measurement for this model, CPU, thread count and fidelity floor is kept."""
    digest = hashlib.sha256(f"{CHOICE_RECIPE}|{path.resolve()}|{options.threads}|{min_cosine}|{names}".encode())
    for file in sorted(path.iterdir()):
        if file.is_file() and (file.suffix in {".safetensors", ".bin"} or file.name == "config.json"):
            stat = file.stat()
            digest.update(f"|{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    folder = choices_dir or options.cache_dir / "engine-choice"
    return folder / f"{path.resolve().name}-{digest.hexdigest()[:16]}-{cpu.key}.json"


def load_engine(name: str, path: Path, *, options: EngineOptions) -> EmbeddingEngine:
    """The engine called ``name``, loaded from the model at ``path``.

    Raises:
        BadRequestError: no engine has that name; the message lists the names.
    """
    loader = ENGINES.get(name)
    if loader is None:
        raise BadRequestError(
            f"Unknown engine [{name}]; set [service_settings.engine] to [{AUTO_ENGINE}] or one of "
            f"[{', '.join(ENGINES)}]",
            param="service_settings.engine",
        )
    return loader(path, options)


def _measure_in_child(path: Path, *, record: Path, options: EngineOptions, min_cosine: float, names: list[str]) -> None:
    args = [f"--threads={options.threads}", f"--min-cosine={min_cosine}", f"--engines={','.join(names)}"]
    args += [f"--cache-dir={options.cache_dir}", f"--attempt={next_attempt(record, attempts=options.measure_attempts)}"]
    module = "hfgate.local.embedding.engine_measure_worker"
    run_measure_worker(module, path, record, args=args, what="embedding", timeout=_MEASURE_SECONDS)
