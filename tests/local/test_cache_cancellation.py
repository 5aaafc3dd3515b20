"""A caller that gives up on a model load (its timeout, a client hanging up) does not fail the others."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from hfgate.local.cache import ModelCache


class _Model:
    memory_bytes = 1

    def close(self) -> None:
        return None


def _slow_load() -> _Model:
    time.sleep(0.3)
    return _Model()


async def test_a_cancelled_first_caller_leaves_the_load_running_for_the_others() -> None:
    cache = ModelCache(budget_bytes=10)
    first = asyncio.create_task(cache.get("m", _slow_load))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(cache.get("m", _slow_load))
    await asyncio.sleep(0.05)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert isinstance(await second, _Model)  # not the first caller's CancelledError
    assert cache.loaded() == ["m"]


async def test_a_timed_out_load_is_found_loaded_by_the_next_request() -> None:
    cache = ModelCache(budget_bytes=10)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(cache.get("m", _slow_load), timeout=0.05)
    await asyncio.sleep(0.5)
    assert cache.loaded() == ["m"]


async def test_two_models_load_one_at_a_time() -> None:
    cache = ModelCache(budget_bytes=10)
    inside = 0
    most = 0
    lock = threading.Lock()

    def load() -> _Model:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.1)
        with lock:
            inside -= 1
        return _Model()

    await asyncio.gather(cache.get("a", load), cache.get("b", load))
    assert most == 1
