"""Choosing an engine by measurement, whatever the task: the choice kept for this model on this kind of
CPU when there is one (and it need not be measured again), else a new measurement in a child process.

A task (embedding, generation) says what it measures in a :class:`Measurement`: the model, the record
file its key names (model files, CPU, threads, fidelity floor, candidates), the worker module that
times its candidates and that worker's options. A choice measured while other processes kept the
machine busy is measured again at the next load, ``attempts`` measurements in all
(:meth:`~hfgate.local.measuring.record.MeasuredChoice.remeasure`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from hfgate.errors import BadRequestError, HfGateError
from hfgate.local.cpu import read_cpu
from hfgate.local.measuring.child import run_measure_worker
from hfgate.local.measuring.record import (
    MAX_ATTEMPTS,
    MEASURING,
    MeasuredChoice,
    next_attempt,
    read_choice,
    reusable_choice,
)
from hfgate.local.one_maker import one_maker

log = logging.getLogger("hfgate.local")


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """One model's engine measurement, as its task describes it.

    Attributes:
        what: names the engines in logs and messages (``embedding``, ``generation``).
        model: the model the worker measures (its directory).
        record: where the choice is kept.
        worker: the module run as ``python -m`` in the child.
        args: the worker's options, but ``--attempt`` (added here).
        engines: the names a kept choice may hold (a record naming another is measured again).
        cpu: the kind of CPU the record is filed under (its key), for the log.
        timeout: seconds the child may take.
        attempts: measurements before a choice measured on a busy machine is kept.
    """

    what: str
    model: Path
    record: Path
    worker: str
    args: Sequence[str]
    engines: Collection[str]
    cpu: str
    timeout: int
    attempts: int = MAX_ATTEMPTS


def choose(measurement: Measurement) -> MeasuredChoice:
    """The choice kept earlier (:func:`recorded_choice`), else one measured now (:func:`measure_choice`)."""
    return recorded_choice(measurement) or measure_choice(measurement)


def recorded_choice(measurement: Measurement, *, even_busy: bool = False) -> MeasuredChoice | None:
    """The choice measured earlier for this model on this kind of CPU (reason ``cached``), or ``None``:
    nothing measured yet, or measured while busy and to be measured again (unless ``even_busy``)."""
    record = measurement.record
    cached = read_choice(record) if even_busy else reusable_choice(record, attempts=measurement.attempts)
    if cached is None or cached.engine not in measurement.engines:
        return None
    log.info(
        f"{measurement.what} engine chosen earlier on this CPU",
        extra={
            "event": "model.engine.cached",
            "model": str(measurement.model),
            "engine": cached.engine,
            "cpu": measurement.cpu,
        },
    )
    return cached


def measure_choice(measurement: Measurement) -> MeasuredChoice:
    """Measure the candidates in a child process now (blocking), keep the result and return it; or,
    when another process (a worker of the same server) measured them while this one waited for it, its
    result as it is (reason ``cached``, even if measured while busy: that was this load's measurement).
    One measurement of a model on a machine at a time (:mod:`~hfgate.local.one_maker`).

    Raises:
        HfGateError: the measurement failed (the message gives its last line of error output).
    """
    before = _written(measurement.record)
    with one_maker(measurement.record):
        if _written(measurement.record) != before:
            meanwhile = recorded_choice(measurement, even_busy=True)
            if meanwhile is not None:
                return meanwhile
        return recorded_choice(measurement) or _measure(measurement)


def _written(record: Path) -> tuple[int, int] | None:
    """Which write of ``record`` is on disk (each replaces the file: a new inode and time), or ``None``."""
    try:
        stat = record.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _measure(measurement: Measurement) -> MeasuredChoice:
    record, what = measurement.record, measurement.what
    attempt = next_attempt(record, attempts=measurement.attempts)
    args = [*measurement.args, f"--attempt={attempt}"]
    run_measure_worker(measurement.worker, measurement.model, record, args=args, what=what, timeout=measurement.timeout)
    choice = read_choice(record)
    if choice is None:
        raise HfGateError(f"Measuring the {what} engines of [{measurement.model}] wrote no result to [{record}]")
    choice = replace(choice, reason="measured")
    figures = {f.engine: (f.speed, f.worst_cosine, f.error) for f in choice.figures}
    log.info(
        f"{what} engine chosen by measurement",
        extra={
            "event": "model.engine.measured",
            "model": str(measurement.model),
            "engine": choice.engine,
            "figures": figures,
            "choice": choice.summary(),
        },
    )
    return choice


def worker_options(names: Sequence[str], *, threads: int, min_cosine: float, device: str, cache_dir: Path) -> list[str]:
    """The options of :func:`~hfgate.local.measuring.worker.worker_arguments` that every kind passes."""
    return [
        f"--engines={','.join(names)}",
        f"--threads={threads}",
        f"--min-cosine={min_cosine}",
        f"--device={device}",
        f"--cache-dir={cache_dir}",
    ]


def candidates_or_refuse(names: Sequence[str], *, what: str, model: Path) -> list[str]:
    """``names`` as a list.

    Raises:
        BadRequestError: there are none: no engine is installed that can run ``model``.
    """
    if not names:
        raise BadRequestError(
            f"No {what} engine is installed that can run [{model}]; install the extra with "
            "`pip install torch==2.13.0 'hfgate[local]'`"
        )
    return list(names)


def measuring(name: str, *, min_cosine: float, unit: str, on: str | None = None) -> MeasuredChoice:
    """The record of a model serving on ``name`` while its engines are measured in the background; ``on``
    is the machine it runs on (default this CPU: ``machine.machine_of(device).describe()`` for a GPU)."""
    on = on or read_cpu().describe()
    return MeasuredChoice(engine=name, reason=MEASURING, cpu=on, min_cosine=min_cosine, unit=unit)


def set_choice(name: str, *, min_cosine: float, unit: str, on: str | None = None) -> MeasuredChoice:
    """The record of an engine chosen by ``service_settings.engine`` (nothing measured), running ``on``."""
    return MeasuredChoice(engine=name, reason="set", cpu=on or read_cpu().describe(), min_cosine=min_cosine, unit=unit)
