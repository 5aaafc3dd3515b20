"""Loading a model records its load time once, under its key."""

from __future__ import annotations

from prometheus_client import REGISTRY

from hfgate.local.cache import ModelCache


class Weights:
    memory_bytes = 10

    def close(self) -> None:
        pass


async def test_a_model_load_is_timed_once() -> None:
    cache = ModelCache(budget_bytes=100)
    first = await cache.get("metrics-load-test", Weights)
    assert await cache.get("metrics-load-test", Weights) is first
    count = REGISTRY.get_sample_value("hfgate_model_load_seconds_count", {"model": "metrics-load-test"})
    assert count == 1
