"""``engine: auto`` for one generation model: the recorded choice, the exact default to serve on while the
candidates are measured in the background, and loading any candidate by name (``TextGenerator.auto``
builds the generator from it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from hfgate.local.generation.engine_choice import CANDIDATES, SPEED_UNIT, MeasureTarget, default_engine, measurement
from hfgate.local.generation.loading import ENGINE_LOADERS, LanguageModel, ModelSource
from hfgate.local.machine import machine_of
from hfgate.local.measuring.choice import Measurement, measure_choice, measuring, recorded_choice
from hfgate.local.measuring.record import MeasuredChoice


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoEngine:
    """What ``auto`` needs for one model.

    Attributes:
        source: where the model is and how to load it (its ``dtype`` is the candidate's; its ``device``
            the target's).
        target: the model (its converted copy), task, device and conditions the measurement is made under.
        folder: where measurements are kept.
        record_source: the files the measurement is filed under (a GGUF model's file).
    """

    source: ModelSource
    target: MeasureTarget
    folder: Path
    record_source: Path

    @property
    def cache_dir(self) -> Path:
        return self.source.cache_dir or self.source.converted.parent

    def recorded(self) -> MeasuredChoice | None:
        """The choice measured earlier on this kind of CPU (or GPU), or ``None``."""
        return recorded_choice(self._measurement())

    def measured(self) -> MeasuredChoice:
        """Measure now (blocking; a child process) and keep the result."""
        return measure_choice(self._measurement())

    def default(self) -> MeasuredChoice:
        """The exact candidate to serve on while the candidates are measured, as a ``measuring`` choice."""
        device = self.target.device
        name = default_engine(self.target.path, task=self.target.task, cache_dir=self.cache_dir, device=device)
        on = machine_of(device).describe()
        return measuring(name, min_cosine=self.target.min_cosine, unit=SPEED_UNIT, on=on)

    def load(self, name: str) -> LanguageModel:
        """The candidate called ``name`` (a key of ``CANDIDATES``), loaded."""
        candidate = CANDIDATES[name]
        return ENGINE_LOADERS[candidate.engine](replace(self.source, dtype=candidate.dtype))

    def _measurement(self) -> Measurement:
        return measurement(self.target, folder=self.folder, cache_dir=self.cache_dir, source=self.record_source)
