"""Background work (a batch line's) yields to interactive work in the batcher's passes.

The model is the gated ``Doubler`` of test_batcher.py: a pass is held at its gate while the next requests
queue, so which texts share the next pass is deterministic.
"""

from __future__ import annotations

import asyncio
import random

from hfgate.local.batching import Batcher, BatchLimits
from hfgate.local.batching.priority import BACKGROUND, background, choose_pass
from tests.local.batching.test_batcher import Doubler, until_running


def batcher_for(model: Doubler, *, age: float = 60.0, **limits: int) -> Batcher[int, int]:
    return Batcher(run_batch=model, limits=BatchLimits(**limits), name="test-model", background_age=age)


async def interactive(batcher: Batcher[int, int], items: list[int], lengths: list[int] | None = None) -> list[int]:
    return await batcher.submit(items, lengths=lengths or [1] * len(items))


async def batch_line(batcher: Batcher[int, int], items: list[int], lengths: list[int] | None = None) -> list[int]:
    with background():
        return await batcher.submit(items, lengths=lengths or [1] * len(items))


async def test_an_interactive_text_runs_in_the_next_pass_not_after_the_queued_batch_lines() -> None:
    model = Doubler()
    batcher = batcher_for(model, max_batch_size=2)
    model.gate.clear()
    lines = asyncio.create_task(batch_line(batcher, [1, 2, 3, 4, 5, 6]))
    assert await until_running(model) == [1, 2]
    request = asyncio.create_task(interactive(batcher, [100]))
    await asyncio.sleep(0)
    model.gate.set()
    assert await asyncio.gather(request, lines) == [[200], [2, 4, 6, 8, 10, 12]], "every batch line completes"
    assert model.batches == [[1, 2], [3, 100], [4, 5], [6]], "a batch line fills the room left in its pass"


async def test_without_interactive_work_batch_lines_run_oldest_first_in_full_passes() -> None:
    model = Doubler()
    batcher = batcher_for(model, max_batch_size=2)
    assert await asyncio.gather(batch_line(batcher, [1, 2, 3]), batch_line(batcher, [4])) == [[2, 4, 6], [8]]
    assert model.batches == [[1, 2], [3, 4]]


async def test_a_batch_line_waiting_past_its_age_counts_as_interactive() -> None:
    model = Doubler()
    batcher = batcher_for(model, age=0.0, max_batch_size=2)
    model.gate.clear()
    lines = asyncio.create_task(batch_line(batcher, [1, 2, 3, 4, 5, 6]))
    await until_running(model)
    request = asyncio.create_task(interactive(batcher, [100]))
    await asyncio.sleep(0)
    model.gate.set()
    assert await asyncio.gather(lines, request) == [[2, 4, 6, 8, 10, 12], [200]]
    assert model.batches == [[1, 2], [3, 4], [5, 6], [100]], "aged lines are served oldest first, as before"


async def test_a_line_that_aged_while_waiting_goes_before_a_younger_interactive_text() -> None:
    model = Doubler()
    batcher = batcher_for(model, age=0.05, max_batch_size=2)
    model.gate.clear()
    lines = asyncio.create_task(batch_line(batcher, [1, 2, 3, 4]))
    await until_running(model)
    await asyncio.sleep(0.1)  # the lines waiting (3, 4) are older than their age now
    request = asyncio.create_task(interactive(batcher, [100]))
    await asyncio.sleep(0)
    model.gate.set()
    assert await asyncio.gather(lines, request) == [[2, 4, 6, 8], [200]]
    assert model.batches == [[1, 2], [3, 4], [100]]


async def test_batch_lines_fill_a_pass_only_with_texts_no_longer_than_its_longest() -> None:
    model = Doubler()
    batcher = batcher_for(model, max_batch_size=8)
    model.gate.clear()
    blocker = asyncio.create_task(interactive(batcher, [0]))
    await until_running(model)
    lines = asyncio.create_task(batch_line(batcher, [1, 2, 3, 4], [10, 10, 2, 2]))
    await asyncio.sleep(0)
    request = asyncio.create_task(interactive(batcher, [5], [3]))
    await asyncio.sleep(0)
    model.gate.set()
    assert await asyncio.gather(blocker, lines, request) == [[0], [2, 4, 6, 8], [10]]
    assert model.batches == [[0], [3, 4, 5], [1, 2]], "the long lines wait for a pass of their own"


async def test_the_mark_reaches_the_batcher_only_inside_background() -> None:
    seen: list[bool] = []

    async def run_batch(items: list[int]) -> list[int]:
        return items

    batcher: Batcher[int, int] = Batcher(run_batch=run_batch, limits=BatchLimits(), name="test-model")
    original = batcher.submit

    async def spy(items: list[int], *, lengths: list[int]) -> list[int]:
        seen.append(BACKGROUND.get())
        return await original(items, lengths=lengths)

    batcher.submit = spy  # type: ignore[method-assign]
    with background():
        await asyncio.create_task(interactive(batcher, [1]))  # a task created inside inherits the mark
    await interactive(batcher, [2])
    assert seen == [True, False]


def test_a_pass_never_exceeds_the_limits_nor_the_interactive_pass_longest_text() -> None:
    rng = random.Random(83)
    for _ in range(500):
        count = rng.randint(1, 40)
        lengths = [rng.randint(1, 300) for _ in range(count)]
        urgent = [rng.random() < 0.3 for _ in range(count)]
        limits = BatchLimits(max_batch_tokens=rng.choice([64, 512, 2048]), max_batch_size=rng.choice([1, 4, 32]),
                             pass_overhead_tokens=rng.choice([None, 0, 32]))  # fmt: skip
        chosen = choose_pass(lengths, urgent, limits)
        assert chosen
        assert chosen == sorted(set(chosen))
        longest = max(lengths[i] for i in chosen)
        assert len(chosen) <= limits.max_batch_size
        assert len(chosen) == 1 or len(chosen) * longest <= limits.max_batch_tokens
        if any(urgent):
            assert urgent.index(True) in chosen, "the oldest interactive text runs now"
            assert longest == max(lengths[i] for i in chosen if urgent[i]), "background never lengthens a pass"
            overhead = limits.pass_overhead_tokens
            if overhead is not None:
                assert all(longest - lengths[i] <= overhead for i in chosen if not urgent[i])
        else:
            assert 0 in chosen, "with background work only, the oldest runs now"
