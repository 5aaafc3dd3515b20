"""The record of an engine chosen by measurement: each candidate's speed and fidelity, and the pick.

Generic over what is measured (the speed's ``unit``: ``tokens/s`` for generation); kept as JSON under
the data directory (:meth:`MeasuredChoice.public`) and shown as ``engine_choice`` by ``GET _inference``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hfgate.local.fingerprint import files_digest
from hfgate.local.measuring.load import MeasureLoad

log = logging.getLogger("hfgate.local")

MAX_ATTEMPTS = 3
"""Measurements of one model on one kind of CPU before a choice made while the machine was busy is kept."""

MEASURING = "measuring"
"""The ``reason`` of a choice while the engines are measured in the background: ``engine`` is the
exact default that serves meanwhile."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasuredEngine:
    """One candidate's measurement.

    Attributes:
        engine: its name.
        exact: computes in float32 (its output is the reference's to rounding).
        speed: its speed figure in the choice's unit; ``None`` if it failed.
        worst_cosine: lowest cosine to the float32 reference over the calibration set.
        detail: how the speed figure was made up, e.g. ``1 row 60.1, 8 rows 280.4``.
        error: why it could not be loaded or run, if so.
        skipped: why it was not measured, if so (e.g. a coarser quantization of an engine that already
            fell below the fidelity floor).
    """

    engine: str
    exact: bool
    speed: float | None = None
    worst_cosine: float | None = None
    detail: str | None = None
    error: str | None = None
    skipped: str | None = None

    def describe(self, min_cosine: float, unit: str) -> str:
        """e.g. ``onnx-int8 238.1 tokens/s (1 row 131.7, 8 rows 430.0), cosine 0.9987 (below 0.9999)``."""
        if self.skipped is not None:
            return f"{self.engine} not measured ({self.skipped})"
        if self.error is not None or self.speed is None:
            return f"{self.engine} failed ({self.error})"
        text = f"{self.engine} {self.speed:g} {unit}"
        if self.detail:
            text += f" ({self.detail})"
        if self.worst_cosine is not None:
            text += f", cosine {self.worst_cosine:g}"
        return text if self.meets(min_cosine) else f"{text} (below {min_cosine:g})"

    def meets(self, min_cosine: float) -> bool:
        """Whether it may be chosen: it ran, and is exact or at least ``min_cosine`` faithful."""
        if self.error is not None or self.speed is None:
            return False
        return self.exact or (self.worst_cosine is not None and self.worst_cosine >= min_cosine)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasuredChoice:
    """Which engine runs a model here, and why.

    Attributes:
        engine: the engine that runs.
        reason: ``measured`` (fastest that met ``min_cosine``), ``cached`` (measured earlier on a CPU
            with the same model name and flags), ``set`` (``service_settings.engine``), ``measuring``
            (the exact default serves while the engines are measured) or ``default (measurement failed: …)``.
        cpu: the CPU model and the flags that matter.
        min_cosine: the fidelity an inexact engine had to reach.
        unit: the unit of the speed figures.
        figures: every candidate's measurement, fastest first.
        load: what the timing cost and what else ran meanwhile (``None`` for a choice not measured).
        attempt: which measurement of this model on this kind of CPU this is (one taken while busy is
            repeated, up to :data:`MAX_ATTEMPTS` times by default).
    """

    engine: str
    reason: str
    cpu: str
    min_cosine: float
    unit: str
    figures: tuple[MeasuredEngine, ...] = ()
    load: MeasureLoad | None = None
    attempt: int = 1

    def remeasure(self, attempts: int = MAX_ATTEMPTS) -> bool:
        """Whether this choice was measured while other processes kept the machine busy, and may be measured
        again (the next load of the model does, in the background), ``attempts`` measurements in all."""
        return self.load is not None and self.load.busy and self.attempt < attempts

    def summary(self) -> str:
        """One line for people, e.g. ``onnx, measured on AMD EPYC (avx2 avx512f): onnx 136.3 tokens/s…``,
        or ``measuring; serving on transformers-fp32``."""
        if self.reason == MEASURING:
            return f"{MEASURING}; serving on {self.engine}"
        where = f"{self.engine}, {self.reason} on {self.cpu}"
        if self.load is not None and self.load.busy:
            where += f" while busy ({self.load.describe()})"
        if not self.figures:
            return where
        parts = [figure.describe(self.min_cosine, self.unit) for figure in self.figures]
        return f"{where}: {'; '.join(parts)}"

    def public(self) -> dict[str, Any]:
        body: dict[str, Any] = {"engine": self.engine, "reason": self.reason, "cpu": self.cpu}
        body |= {"min_cosine": self.min_cosine, "unit": self.unit}
        if self.figures:
            body["figures"] = [{k: v for k, v in asdict(f).items() if v is not None} for f in self.figures]
        if self.load is not None:
            body["load"] = asdict(self.load)
            body["attempt"] = self.attempt
        return body

    @classmethod
    def from_public(cls, data: Mapping[str, Any], *, reason: str) -> MeasuredChoice:
        """Read back what :meth:`public` wrote (``KeyError``/``TypeError`` if it is not that)."""
        return cls(
            engine=str(data["engine"]),
            reason=reason,
            cpu=str(data["cpu"]),
            min_cosine=float(data["min_cosine"]),
            unit=str(data["unit"]),
            figures=tuple(MeasuredEngine(**figure) for figure in data.get("figures", ())),
            load=MeasureLoad(**data["load"]) if data.get("load") else None,
            attempt=int(data.get("attempt", 1)),
        )


def pick(
    figures: list[MeasuredEngine], *, min_cosine: float, cpu: str, unit: str, load: MeasureLoad | None, attempt: int
) -> MeasuredChoice:
    """The measured choice: ``figures`` fastest first, and the fastest that meets ``min_cosine`` chosen.

    Raises:
        RuntimeError: none qualifies; the message gives each one's figures.
    """
    ranked = sorted(figures, key=lambda figure: -(figure.speed or 0.0))
    qualified = [figure for figure in ranked if figure.meets(min_cosine)]
    if not qualified:
        names = ", ".join(figure.engine for figure in figures)
        raise RuntimeError(f"No engine of [{names}] ran at cosine >= {min_cosine}: {ranked}")
    return MeasuredChoice(
        engine=qualified[0].engine,
        reason="measured",
        cpu=cpu,
        min_cosine=min_cosine,
        unit=unit,
        figures=tuple(ranked),
        load=load,
        attempt=attempt,
    )


def read_choice(record: Path) -> MeasuredChoice | None:
    """The choice kept in ``record`` (as ``cached``), or ``None`` if there is none or it is unreadable."""
    try:
        return MeasuredChoice.from_public(json.loads(record.read_text(encoding="utf-8")), reason="cached")
    except (OSError, ValueError, KeyError, TypeError):
        return None


def reusable_choice(record: Path, *, attempts: int = MAX_ATTEMPTS) -> MeasuredChoice | None:
    """The choice kept in ``record`` if it may be served as it is: ``None`` when there is none, or when it
    was measured on a busy machine and is to be measured again (:meth:`MeasuredChoice.remeasure`; at most
    ``attempts`` measurements in all, ``Settings.local_engine_measure_attempts``)."""
    cached = read_choice(record)
    if cached is not None and cached.remeasure(attempts):
        log.info(
            "engine choice measured while busy: measuring again",
            extra={"event": "model.engine.remeasure", "record": str(record), "attempt": cached.attempt},
        )
        return None
    return cached


def next_attempt(record: Path, *, attempts: int = MAX_ATTEMPTS) -> int:
    """The attempt number of a new measurement filed at ``record``: one more than a busy one's before it."""
    cached = read_choice(record)
    return cached.attempt + 1 if cached is not None and cached.remeasure(attempts) else 1


def write_choice(record: Path, choice: MeasuredChoice) -> None:
    """Keep ``choice`` in ``record``, atomically (a concurrent reader sees the old file or the new one)."""
    record.parent.mkdir(parents=True, exist_ok=True)
    partial = record.with_suffix(".tmp")
    partial.write_text(json.dumps(choice.public(), indent=1), encoding="utf-8")
    partial.replace(record)


def model_files_digest(path: Path, *parts: object) -> str:
    """A digest of ``parts`` and the model's weights and config (names, sizes, modification times);
    ``path`` is the model's directory, or its one file (a GGUF)."""
    return files_digest(path, key="|".join(str(part) for part in (path.resolve(), *parts)))
