"""Which engine generates with a local model when ``engine`` is ``auto``: picked by measurement, once per
kind of CPU (or of GPU, where in-process models run on one).

The first load of a model on a machine times every installed candidate (:data:`CANDIDATES` that can run
the model) in a child process (:mod:`~hfgate.local.generation.engine_measure_worker`) and keeps the
fastest exact one, or an inexact one whose next-token logits stay within ``min_cosine`` of transformers
float32's. Nobody waits for that measurement: the model serves meanwhile on :func:`default_engine`
(exact) and switches when it ends. How a choice is kept, read back and measured again is
:mod:`hfgate.local.measuring`, shared with the embedding engines.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hfgate.local.generation.architecture import GenerationTask
from hfgate.local.generation.onnx_export import decoder_exported
from hfgate.local.machine import Machine, machine_of
from hfgate.local.measuring.choice import Measurement, candidates_or_refuse, choose, set_choice, worker_options
from hfgate.local.measuring.record import MAX_ATTEMPTS, MeasuredChoice, model_files_digest

AUTO_ENGINE = "auto"
"""Let :func:`choose_engine` pick by measurement; the default of ``service_settings.engine``."""

DEFAULT_MIN_COSINE = 0.9999
"""The fidelity (worst cosine of next-token logits to transformers float32) an inexact engine must
measure to be chosen automatically; the same setting and default as the embedding engines'."""

SPEED_UNIT = "tokens/s"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An engine ``auto`` may pick: the ``service_settings.engine`` that loads it, with which ``dtype``;
    ``on`` the kinds of device it is a candidate on (``cpu``, ``cuda``); ``coarser_than`` the candidate
    whose every weight it keeps in fewer bits (it cannot be more faithful: when that one falls below
    ``min_cosine``, this one is not exported or timed)."""

    engine: str
    dtype: str
    exact: bool
    on: frozenset[str] = frozenset({"cpu"})
    coarser_than: str | None = None


_ANYWHERE = frozenset({"cpu", "cuda"})

CANDIDATES: dict[str, Candidate] = {
    "transformers-fp32": Candidate("transformers", "float32", exact=True, on=_ANYWHERE),
    "transformers-bf16": Candidate("transformers", "bfloat16", exact=False, on=_ANYWHERE),
    # float16 computes natively on GPUs only; on a CPU it would be slower than float32.
    "transformers-fp16": Candidate("transformers", "float16", exact=False, on=frozenset({"cuda"})),
    "onnx": Candidate("onnx", "float32", exact=True),
    "onnx-int8": Candidate("onnx-int8", "float32", exact=False),
    # The same blocks of 32 weights as int8, in 4 bits (the output head in 8); its slow export is
    # spared when int8 already misses the floor.
    "onnx-int4": Candidate("onnx-int4", "float32", exact=False, coarser_than="onnx-int8"),
}
"""The engines ``auto`` measures, by the name its figures show: on a CUDA GPU the transformers ones (the
ONNX and llama.cpp engines are CPU engines)."""

GPU_ENGINES = frozenset({"transformers"})
"""The ``service_settings.engine`` values that run on a CUDA GPU when in-process models run on one; the
others run on the CPU whatever ``HFGATE_LOCAL_DEVICE`` says."""


def engine_device(engine: str, device: str) -> str:
    """Where a generation model on ``engine`` (a ``service_settings.engine``, ``auto`` included) computes
    when in-process models run on ``device``: the GPU for transformers and ``auto`` (whose candidates
    there are transformers'), the CPU for the CPU engines.

    Example:
        >>> engine_device("auto", "cuda:1"), engine_device("onnx", "cuda:1")
        ('cuda:1', 'cpu')
    """
    return device if engine in GPU_ENGINES | {AUTO_ENGINE} else "cpu"


# Bump when what is measured changes (other speeds, other cosines), so older choices are not reused.
CHOICE_RECIPE = "generation-v2"
# Room for three ONNX exports and the timing of a large model.
_MEASURE_SECONDS = 1800


def candidates(task: GenerationTask, *, min_cosine: float, device: str = "cpu") -> list[str]:
    """The candidates installed here that can run a model of ``task`` on ``device``, in :data:`CANDIDATES`
    order.

    On a CUDA GPU they are transformers' precisions; on the CPU the ONNX engines join them for
    decoder-only models. Inexact engines are left out when ``min_cosine`` is 1 or more (none could
    qualify, and their exports are the slow part of a measurement).
    """
    if not all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers")):
        return []
    kind = "cuda" if device.startswith("cuda") else "cpu"
    onnx = kind == "cpu" and task == "text-generation"
    onnx = onnx and all(
        importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnxruntime_genai", "onnx_ir")
    )
    names = [n for n, c in CANDIDATES.items() if kind in c.on and (onnx or not c.engine.startswith("onnx"))]
    return [name for name in names if CANDIDATES[name].exact or min_cosine < 1]


def choose_engine(
    path: Path,
    *,
    task: GenerationTask,
    cache_dir: Path,
    threads: int = 0,
    min_cosine: float = DEFAULT_MIN_COSINE,
    cpu: Machine | None = None,
    names: Sequence[str] | None = None,
    choices_dir: Path | None = None,
    source: Path | None = None,
    attempts: int = MAX_ATTEMPTS,
    device: str = "cpu",
) -> MeasuredChoice:
    """The fastest qualifying candidate for the (transformers-format) model at ``path`` on this CPU,
    measured once per kind of CPU; ``engine`` of the result is a key of :data:`CANDIDATES`.

    Args:
        path: the model directory (for GGUF models, the converted one).
        task: ``text-generation`` or ``text2text-generation``.
        cache_dir: where ONNX exports (and, by default, the measurement) are kept.
        threads: compute threads (0: every core); part of the measurement's key.
        min_cosine: the worst cosine to transformers float32 an inexact engine must reach.
        cpu: the machine the measurement is filed under; default ``device``'s (this CPU, or the GPU).
        names: the candidates to try; default every installed one that can run the model.
        choices_dir: where measurements are kept; default ``cache_dir / "engine-choice"``.
        source: the files the model comes from, which the measurement is filed under (the GGUF file
            of a converted copy, so that every data directory converting it finds one measurement);
            default ``path``.
        attempts: measurements before a choice measured on a busy machine is kept
            (``Settings.local_engine_measure_attempts``).
        device: where the candidates run and are measured: ``cpu``, ``cuda`` or ``cuda:N``.

    Raises:
        BadRequestError: no engine is installed that can run the model.
        HfGateError: the measurement failed (the message gives its last line of error output).

    Example:
        >>> choose_engine(converted, task="text-generation", cache_dir=models).engine
        'onnx'
    """
    where = MeasureTarget(
        path=path,
        task=task,
        threads=threads,
        min_cosine=min_cosine,
        cpu=cpu,
        names=names,
        attempts=attempts,
        device=device,
    )
    return choose(
        measurement(where, folder=choices_dir or cache_dir / "engine-choice", cache_dir=cache_dir, source=source)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasureTarget:
    """The model, task and conditions a measurement is made and filed under (``choose_engine``'s arguments);
    ``attempts``: measurements before a choice measured on a busy machine is kept; ``device``: where the
    candidates run (``cpu``, ``cuda``, ``cuda:N``)."""

    path: Path
    task: GenerationTask
    threads: int = 0
    min_cosine: float = DEFAULT_MIN_COSINE
    cpu: Machine | None = None
    names: Sequence[str] | None = None
    attempts: int = MAX_ATTEMPTS
    device: str = "cpu"


def measurement(where: MeasureTarget, *, folder: Path, cache_dir: Path, source: Path | None = None) -> Measurement:
    """What measuring the candidates of ``where`` is, for :mod:`hfgate.local.measuring.choice`'s
    ``recorded_choice`` and ``measure_choice``: ``folder`` holds the measurements, ``cache_dir`` the ONNX
    exports, ``source`` as for :func:`choose_engine`.

    Raises:
        BadRequestError: no engine is installed that can run the model.
    """
    cpu = where.cpu or machine_of(where.device)
    names = candidates_or_refuse(
        where.names or candidates(where.task, min_cosine=where.min_cosine, device=where.device),
        what="generation",
        model=where.path,
    )
    record = choice_file(
        source or where.path, threads=where.threads, min_cosine=where.min_cosine, cpu=cpu, names=names, folder=folder
    )
    return Measurement(
        what="generation",
        model=where.path,
        record=record,
        worker="hfgate.local.generation.engine_measure_worker",
        args=[
            f"--task={where.task}",
            *worker_options(
                names, threads=where.threads, min_cosine=where.min_cosine, device=where.device, cache_dir=cache_dir
            ),
        ],
        engines=CANDIDATES,
        cpu=cpu.key,
        timeout=_MEASURE_SECONDS,
        attempts=where.attempts,
    )


def default_engine(path: Path, *, task: GenerationTask, cache_dir: Path, device: str = "cpu") -> str:
    """The exact candidate a model serves on while its engines are measured: ``transformers-fp32`` on a
    GPU; on the CPU ``onnx`` when its float32 export is already on disk (nothing to wait for), else
    ``transformers-fp32`` (nothing to convert)."""
    onnx = "onnx" in candidates(task, min_cosine=1.0, device=device)
    onnx = onnx and decoder_exported(path, cache_dir, precision="fp32")
    return "onnx" if onnx else "transformers-fp32"


def set_engine(
    engine: str, *, dtype: str, min_cosine: float = DEFAULT_MIN_COSINE, on: str | None = None
) -> MeasuredChoice:
    """The record of an engine chosen by ``service_settings.engine`` (nothing measured), running ``on`` (a
    machine's description; default this CPU)."""
    name = f"{engine} ({dtype})" if engine == "transformers" else engine
    return set_choice(name, min_cosine=min_cosine, unit=SPEED_UNIT, on=on)


def choice_file(path: Path, *, threads: int, min_cosine: float, cpu: Machine, names: list[str], folder: Path) -> Path:
    """Where the measurement for this model, machine (a CPU or a GPU), thread count, fidelity floor and
    candidates is kept."""
    digest = model_files_digest(path, CHOICE_RECIPE, threads, min_cosine, names)
    return folder / f"{path.resolve().name}-generation-{digest}-{cpu.key}.json"
