"""A model with no recorded engine choice serves at once on its exact default engine, measures in the
background, and switches engine between batches with no request failed and the same vectors."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from hfgate.local.cache import Compute, ModelCache
from hfgate.local.catalog import resolve_model
from hfgate.local.embedding.embedder import SentenceEmbedder

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

MODEL = resolve_model("all-MiniLM-L6-v2").path
TEXTS = ["The first curl answers at once.", "Engines are measured in the background.", "short"]


def _close(a: list[float], b: list[float]) -> bool:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.hypot(*a) / math.hypot(*b) >= 0.99999


async def _drive_through_switch(embedder: SentenceEmbedder) -> tuple[list[list[list[float]]], list[str]]:
    """Embed TEXTS again and again, four requests at a time, until a batch after the switch has run."""
    answers: list[list[list[float]]] = []
    engines: list[str] = []
    while embedder.measuring or engines.count(embedder.engine_name) < 3:
        engines.append(embedder.engine_name)
        answers += await asyncio.gather(*(embedder.embed(TEXTS) for _ in range(4)))
        await asyncio.sleep(0.5)  # the measurement runs at a lower priority than serving: leave it the CPU
    return answers, engines


async def test_embedding_serves_on_its_default_and_switches_between_batches_to_the_measured_engine(
    tmp_path: Path,
) -> None:
    compute, cache = Compute(), ModelCache(budget_bytes=4 << 30)
    try:
        embedder = await cache.get(
            "minilm",
            lambda: SentenceEmbedder(
                MODEL,
                compute=compute,
                cache_dir=tmp_path / "models",
                choices_dir=tmp_path / "choices",
                measure=["torch"],
            ),
        )
        summary = embedder.engine_choice.summary()
        assert summary == "measuring; serving on onnx", "exported at install (hfgate prepare): onnx at once"
        reference = await embedder.embed(TEXTS)
        answers, engines = await _drive_through_switch(embedder)
        assert embedder.engine_choice.reason == "measured", embedder.engine_choice.summary()
        assert (engines[0], embedder.engine_name) == ("onnx", "torch")
        assert all(_close(v, r) for answer in answers for v, r in zip(answer, reference, strict=True))
        assert len(list((tmp_path / "choices").glob("*.json"))) == 1, "the choice is recorded for the next start"
    finally:
        cache.close()
        compute.close()


async def test_a_recorded_choice_is_served_at_once_with_nothing_measured(tmp_path: Path) -> None:
    compute, cache = Compute(), ModelCache(budget_bytes=4 << 30)
    choices, models = tmp_path / "choices", tmp_path / "models"
    try:

        def load() -> SentenceEmbedder:
            # one attempt: a choice measured while the machine is busy (as under the test suite) is kept,
            # not measured again at the second load (tests/local/measuring/test_load.py covers that)
            return SentenceEmbedder(
                MODEL, compute=compute, cache_dir=models, choices_dir=choices, measure=["torch"], measure_attempts=1
            )

        first = await cache.get("first", load)
        while first.measuring:  # it serves meanwhile
            await first.embed(TEXTS)
            await asyncio.sleep(0.5)
        assert (first.engine_name, first.engine_choice.reason) == ("torch", "measured"), "the winner already served"
        again = await cache.get("again", load)
        assert (again.engine_name, again.engine_choice.reason, again.measuring) == ("torch", "cached", False)
    finally:
        cache.close()
        compute.close()
