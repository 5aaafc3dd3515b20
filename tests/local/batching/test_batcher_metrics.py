"""The batcher's metrics: texts per pass, queue wait per request and the queue depth."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from hfgate.local.batching.batcher import Batcher
from hfgate.local.batching.limits import BatchLimits


def value(name: str, model: str) -> float:
    found = REGISTRY.get_sample_value(
        name, {"model": model} if "queue_wait" not in name else {"queue": "local", "name": model}
    )
    return found or 0.0


async def test_batch_sizes_queue_waits_and_depth_are_recorded() -> None:
    async def double(items: list[int]) -> list[int]:
        await asyncio.sleep(0)
        return [2 * i for i in items]

    batcher: Batcher[int, int] = Batcher(
        run_batch=double, limits=BatchLimits(max_batch_size=4, max_batch_tokens=1000), name="metrics-test"
    )
    results = await asyncio.gather(*(batcher.submit([i, i], lengths=[1, 1]) for i in range(5)))
    assert results == [[2 * i, 2 * i] for i in range(5)]
    assert value("hfgate_local_batch_size_count", "metrics-test") == 3  # 10 texts in passes of at most 4
    assert value("hfgate_local_batch_size_sum", "metrics-test") == 10
    assert value("hfgate_queue_wait_seconds_count", "metrics-test") == 5  # one per request
    assert value("hfgate_local_queue_depth", "metrics-test") == 0
