"""The batcher: shared passes for concurrent requests, results routed home, bounded queue, cancellation.

The batch function here is a deterministic stand-in for a model (it returns each item doubled and
records the batches it saw), so the plumbing is tested without loading one; the real model is batched
in tests/local/test_embedding.py.
"""

from __future__ import annotations

import asyncio

import pytest

from hfgate.config import Settings
from hfgate.errors import BadRequestError, LocalEngineError, ModelInputError, OverloadedError
from hfgate.local.batching import Batcher, BatchLimits


class Doubler:
    """Computes ``2 * item`` per item; can be held at a gate to let requests pile up meanwhile."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.arrivals: asyncio.Queue[list[int]] = asyncio.Queue()
        self.fail_on: int | None = None

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        self.arrivals.put_nowait(items)
        await self.gate.wait()
        if self.fail_on in items:
            raise RuntimeError("model failed")
        return [2 * item for item in items]


def batcher_for(model: Doubler, **limits: int) -> Batcher[int, int]:
    return Batcher(run_batch=model, limits=BatchLimits(**limits), name="test-model")


async def submit(batcher: Batcher[int, int], items: list[int]) -> list[int]:
    return await batcher.submit(items, lengths=[1] * len(items))


async def until_running(model: Doubler) -> list[int]:
    """Until the next pass is in the model (held at the gate while the gate is closed)."""
    return await model.arrivals.get()


async def test_requests_arriving_during_a_pass_share_the_next_one() -> None:
    model = Doubler()
    batcher = batcher_for(model, max_batch_size=64)
    model.gate.clear()
    first = asyncio.create_task(submit(batcher, [0]))
    await until_running(model)
    rest = [asyncio.create_task(submit(batcher, [i, i + 100])) for i in range(1, 11)]
    await asyncio.sleep(0)
    model.gate.set()
    await asyncio.gather(first, *rest)
    assert len(model.batches) == 2, "ten requests that waited together run as one pass"
    assert sorted(model.batches[1]) == sorted([i for k in range(1, 11) for i in (k, k + 100)])


async def test_leftovers_share_the_next_pass_with_new_arrivals() -> None:
    model = Doubler()
    batcher = batcher_for(model, max_batch_size=4)
    model.gate.clear()
    blocker = asyncio.create_task(submit(batcher, [0]))
    await until_running(model)
    first = asyncio.create_task(submit(batcher, [1, 2, 3]))
    second = asyncio.create_task(submit(batcher, [4, 5, 6]))
    await asyncio.sleep(0)
    model.gate.set()
    model.gate.clear()  # lets the held pass through, holds the next one
    assert await until_running(model) == [1, 2, 3, 4], "oldest texts first, the pass filled up"
    late = asyncio.create_task(submit(batcher, [7, 8]))
    await asyncio.sleep(0)
    model.gate.set()
    assert await asyncio.gather(blocker, first, second, late) == [[0], [2, 4, 6], [8, 10, 12], [14, 16]]
    assert model.batches == [[0], [1, 2, 3, 4], [5, 6, 7, 8]], "no lock-step rounds"


async def test_each_request_gets_its_own_results_in_order() -> None:
    batcher = batcher_for(Doubler(), max_batch_size=3)
    requests = [[k * 10 + j for j in range(k % 4 + 1)] for k in range(12)]
    results = await asyncio.gather(*(submit(batcher, items) for items in requests))
    assert results == [[2 * item for item in items] for items in requests]


async def test_texts_are_sorted_by_length_across_requests() -> None:
    model = Doubler()
    batcher = batcher_for(model, max_batch_tokens=1000, max_batch_size=2)
    model.gate.clear()
    blocker = asyncio.create_task(submit(batcher, [0]))
    await until_running(model)
    long_and_short = asyncio.create_task(batcher.submit([1, 2], lengths=[200, 5]))
    short_and_long = asyncio.create_task(batcher.submit([3, 4], lengths=[6, 190]))
    await asyncio.sleep(0)
    model.gate.set()
    assert await asyncio.gather(blocker, long_and_short, short_and_long) == [[0], [2, 4], [6, 8]]
    assert sorted(sorted(b) for b in model.batches[1:]) == [[1, 4], [2, 3]], "short with short, long with long"
    assert sorted(model.batches[1]) == [1, 4], "the batch holding the oldest text runs first"


async def test_a_full_queue_refuses_with_429_naming_the_setting() -> None:
    model = Doubler()
    batcher = batcher_for(model, queue_size=4)
    model.gate.clear()
    running = asyncio.create_task(submit(batcher, [0]))
    await until_running(model)
    queued = asyncio.create_task(submit(batcher, [1, 2, 3]))
    await asyncio.sleep(0)
    with pytest.raises(OverloadedError) as refused:
        await submit(batcher, [4, 5])
    assert refused.value.status == 429
    assert "HFGATE_LOCAL_QUEUE_SIZE" in refused.value.reason
    model.gate.set()
    assert await asyncio.gather(running, queued) == [[0], [2, 4, 6]], "the admitted requests still finish"


async def test_a_request_larger_than_the_queue_runs_when_nothing_waits() -> None:
    batcher = batcher_for(Doubler(), queue_size=2)
    assert await submit(batcher, [1, 2, 3, 4, 5]) == [2, 4, 6, 8, 10]


async def test_cancelling_a_waiting_request_frees_its_place_and_spares_the_others() -> None:
    model = Doubler()
    batcher = batcher_for(model)
    model.gate.clear()
    running = asyncio.create_task(submit(batcher, [0]))
    await until_running(model)
    doomed = asyncio.create_task(submit(batcher, [1, 2]))
    kept = asyncio.create_task(submit(batcher, [3]))
    await asyncio.sleep(0)
    assert batcher.waiting == 3
    doomed.cancel()
    await asyncio.sleep(0)
    assert batcher.waiting == 1, "the cancelled request left the queue"
    model.gate.set()
    assert await asyncio.gather(running, kept) == [[0], [6]]
    assert doomed.cancelled()
    assert all(1 not in batch for batch in model.batches), "cancelled texts are never computed"


async def test_cancelling_a_request_mid_pass_spares_its_batch_mates() -> None:
    model = Doubler()
    batcher = batcher_for(model)
    model.gate.clear()
    doomed = asyncio.create_task(submit(batcher, [1]))
    await until_running(model)
    doomed.cancel()
    kept = asyncio.create_task(submit(batcher, [2]))
    model.gate.set()
    assert await kept == [4]


async def test_a_failed_pass_fails_only_the_requests_in_it() -> None:
    model = Doubler()
    model.fail_on = 13
    batcher = batcher_for(model, max_batch_size=1)
    results = await asyncio.gather(
        submit(batcher, [13]), submit(batcher, [1]), submit(batcher, [2]), return_exceptions=True
    )
    assert isinstance(results[0], LocalEngineError), "alone, and nothing computed yet to probe with: the engine"
    assert "model failed" in results[0].reason
    assert results[1:] == [[2], [4]]
    assert await submit(batcher, [3]) == [6], "the batcher keeps serving after a failure"


async def test_a_failed_shared_pass_is_run_again_text_by_text_and_only_the_failing_request_is_refused() -> None:
    model = Doubler()
    model.fail_on = 13
    batcher = batcher_for(model, max_batch_size=8)
    model.gate.clear()
    first = asyncio.create_task(submit(batcher, [1]))
    await until_running(model)
    rest = [asyncio.create_task(submit(batcher, items)) for items in ([2, 3], [13], [4])]
    await asyncio.sleep(0)
    model.gate.set()
    results = await asyncio.gather(first, *rest, return_exceptions=True)
    assert results[:2] == [[2], [4, 6]]
    assert results[3] == [8]
    assert isinstance(results[2], ModelInputError)
    assert results[2].status == 400
    assert model.batches[1:] == [[2, 3, 13, 4], [2], [3], [13], [4]]
    assert batcher.waiting == 0


async def test_a_text_failing_alone_is_blamed_on_its_input_when_the_probe_computes() -> None:
    model = Doubler()
    batcher = batcher_for(model, max_batch_size=8)
    assert await submit(batcher, [5]) == [10]
    model.fail_on = 13
    with pytest.raises(ModelInputError):
        await submit(batcher, [13])
    assert model.batches[-1] == [5], "the last text computed was run again as a probe"


async def test_closing_fails_waiting_requests_with_a_retryable_error() -> None:
    model = Doubler()
    batcher = batcher_for(model)
    model.gate.clear()
    running = asyncio.create_task(submit(batcher, [0]))
    await until_running(model)
    waiting = asyncio.create_task(submit(batcher, [1]))
    await asyncio.sleep(0)
    batcher.close("model unloaded; retry")
    for task in (running, waiting):
        with pytest.raises(OverloadedError, match="model unloaded; retry"):
            await task


def test_limits_come_from_settings_with_defaults() -> None:
    limits = BatchLimits.from_settings(Settings())
    assert (limits.max_batch_tokens, limits.max_batch_size, limits.queue_size) == (1024, 32, 2048)


def test_a_non_positive_limit_is_refused_naming_it() -> None:
    with pytest.raises(BadRequestError, match=r"\[queue_size\] must be at least 1"):
        BatchLimits(queue_size=0)
