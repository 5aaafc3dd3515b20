"""``engine: auto`` with nothing recorded for this CPU: a model generates at once on its exact default,
the candidates are measured in the background, and new requests go to the winner while running ones
finish on the engine they started on; no request fails and greedy answers stay the same. On a tiny Llama
(its export and measurement take seconds; tests/local/generation/test_onnx_engine.py holds SmolLM2's ONNX
greedy output to transformers')."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hfgate.local.cache import Compute, ModelCache
from hfgate.local.catalog import ModelLocation
from hfgate.local.generation.auto import AutoEngine
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.engine_choice import MeasureTarget
from hfgate.local.generation.loading import ModelSource
from hfgate.local.generation.params import DecodingParams
from hfgate.tasks import Generation
from tests.local.generation.tiny_models import save_tiny_llama

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

PROMPTS = ["the quick brown fox", "a model turns words into", "translate english to german :"]


def _auto(tmp_path: Path) -> AutoEngine:
    """A tiny Llama with a fresh models directory (no ONNX export: the default is transformers float32)
    and choices directory; one candidate, onnx, to switch to."""
    converted = save_tiny_llama(tmp_path / "tiny-llama", heads=2)
    location = ModelLocation(model_id="tiny-llama", path=converted)
    source = ModelSource(location=location, converted=converted, dtype="float32", cache_dir=tmp_path / "models")
    target = MeasureTarget(path=converted, task="text-generation", names=["onnx"])
    return AutoEngine(source=source, target=target, folder=tmp_path / "choices", record_source=converted)


async def _answers(generator: TextGenerator) -> list[Generation]:
    params = DecodingParams(max_new_tokens=8)
    return await asyncio.gather(*(generator.complete(generator.encode_prompt(p), params) for p in PROMPTS))


async def test_generation_serves_on_its_default_and_new_requests_go_to_the_measured_engine(tmp_path: Path) -> None:
    compute, cache = Compute(), ModelCache(budget_bytes=4 << 30)
    auto = _auto(tmp_path)
    try:
        generator = await cache.get("tiny-llama", lambda: TextGenerator.auto(auto, compute=compute))
        assert generator.engine_choice is not None
        assert generator.engine_choice.summary() == "measuring; serving on transformers-fp32", "no export yet"
        first = await _answers(generator)
        rounds: list[list[Generation]] = []
        while generator.measuring:  # ends when the winner is adopted (or the measurement failed)
            in_flight = asyncio.ensure_future(_answers(generator))  # may straddle the switch
            rounds += [await _answers(generator), await in_flight]
            await asyncio.sleep(1)  # the measurement runs at a lower priority than serving: leave it the CPU
        assert generator.engine_choice.engine == "onnx", generator.engine_choice.summary()
        rounds.append(await _answers(generator))  # wholly on the new engine
        for answers in rounds:
            assert [(a.text, a.finish_reason) for a in answers] == [(a.text, a.finish_reason) for a in first], (
                "exact engines, greedy: the same words"
            )
    finally:
        for key in cache.loaded():
            model = cache.peek(key)
            if isinstance(model, TextGenerator):
                await model.aclose()
        cache.close()
        compute.close()
