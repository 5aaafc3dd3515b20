"""The model cache: one load for many concurrent callers, LRU eviction within the memory budget."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from hfgate.local.cache import ModelCache


class Sized:
    """A stand-in model with a size, counting its loads and closes (the cache's only contract)."""

    def __init__(self, size: int) -> None:
        self.memory_bytes = size
        self.closed = False

    def close(self) -> None:
        self.closed = True


async def test_concurrent_requests_load_a_model_once() -> None:
    cache = ModelCache(budget_bytes=100)
    loads = 0
    lock = threading.Lock()

    def load() -> Sized:
        nonlocal loads
        with lock:
            loads += 1
        time.sleep(0.2)
        return Sized(10)

    models = await asyncio.gather(*(cache.get("m", load) for _ in range(20)))
    assert loads == 1
    assert all(m is models[0] for m in models)


async def test_least_recently_used_model_is_evicted_over_budget() -> None:
    cache = ModelCache(budget_bytes=25)
    a = await cache.get("a", lambda: Sized(10))
    await cache.get("b", lambda: Sized(10))
    await cache.get("a", lambda: Sized(10))  # a is now the most recent
    await cache.get("c", lambda: Sized(10))
    assert cache.loaded() == ["a", "c"]
    assert not a.closed
    assert cache.resident_bytes() == 20


async def test_a_failed_load_reaches_every_waiter_and_is_retried_next_time() -> None:
    cache = ModelCache(budget_bytes=100)

    def broken() -> Sized:
        time.sleep(0.05)
        raise OSError("weights missing")

    results = await asyncio.gather(*(cache.get("m", broken) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    assert (await cache.get("m", lambda: Sized(1))).memory_bytes == 1


def test_close_releases_every_model() -> None:
    cache = ModelCache(budget_bytes=100)
    model = asyncio.run(cache.get("m", lambda: Sized(1)))
    cache.close()
    assert model.closed
    assert cache.loaded() == []


@pytest.mark.parametrize("budget", [1])
async def test_a_model_larger_than_the_budget_still_loads_alone(budget: int) -> None:
    cache = ModelCache(budget_bytes=budget)
    await cache.get("a", lambda: Sized(5))
    await cache.get("b", lambda: Sized(5))
    assert cache.loaded() == ["b"]
