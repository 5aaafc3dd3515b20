"""A caller that gives up on a model load (its timeout, a client hanging up) does not fail the others."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from hfgate.local.cache import ModelCache
from tests.support.waiting import until


class _Model:
    memory_bytes = 1

    def close(self) -> None:
        return None


class _GatedLoad:
    """A load that starts, then waits for the test to release it."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> _Model:
        self.started.set()
        assert self.release.wait(30), "the test never released the load"
        return _Model()


async def test_a_cancelled_first_caller_leaves_the_load_running_for_the_others() -> None:
    cache, load = ModelCache(budget_bytes=10), _GatedLoad()
    first = asyncio.create_task(cache.get("m", load))
    await until(load.started.is_set, what="the load")
    second = asyncio.create_task(cache.get("m", load))
    for _ in range(10):  # let the second caller join the load in flight (no I/O: loop turns suffice)
        await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    load.release.set()
    assert isinstance(await second, _Model)  # not the first caller's CancelledError
    assert cache.loaded() == ["m"]


async def test_a_timed_out_load_is_found_loaded_by_the_next_request() -> None:
    cache, load = ModelCache(budget_bytes=10), _GatedLoad()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(cache.get("m", load), timeout=0.05)
    load.release.set()
    await until(lambda: cache.loaded() == ["m"], what="the abandoned load's end")


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
        time.sleep(0.1)  # a load's duration, for the other to overlap it if it could
        with lock:
            inside -= 1
        return _Model()

    await asyncio.gather(cache.get("a", load), cache.get("b", load))
    assert most == 1
