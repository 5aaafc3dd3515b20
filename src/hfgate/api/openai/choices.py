"""Several choices for one request (``n`` > 1), as OpenAI, vLLM and TGI answer them: ``n`` generations of the
same request, each its own call through the orchestrator (so keys, limits, budgets and fallbacks hold for
each), run side by side. Choice ``i`` of a seeded request is sampled with ``seed + i``, so the choices differ
and the same request gives the same choices; greedy choices are alike, as everywhere. Streamed, the pieces of
every choice come as they are written, each carrying its choice's ``index``. A request of one choice (the
usual) passes none of this: ``requests.choice_count`` reads ``n``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import TypeVar

from hfgate.tasks import ChatRequest, GenerateRequest, GenerationDelta, Usage

R = TypeVar("R", ChatRequest, GenerateRequest)


def nth(request: R, index: int) -> R:
    """The request of choice ``index``: its seed moved on by ``index`` when it has one."""
    seed = request.params.seed
    if index == 0 or seed is None:
        return request
    return replace(request, params=replace(request.params, seed=seed + index))


def total(usages: Sequence[Usage]) -> Usage:
    """One request's usage over its choices: the prompt read once, every choice's writing.

    Example:
        >>> total([Usage(prompt_tokens=5, completion_tokens=3), Usage(prompt_tokens=5, completion_tokens=4)])
        Usage(prompt_tokens=5, completion_tokens=7, reasoning_tokens=None, cached_tokens=0)
    """
    if not usages:
        return Usage()
    first = usages[0]
    return Usage(
        prompt_tokens=first.prompt_tokens,
        completion_tokens=sum(u.completion_tokens for u in usages),
        cached_tokens=first.cached_tokens,
    )


async def merged(streams: Sequence[AsyncIterator[GenerationDelta]]) -> AsyncIterator[tuple[int, GenerationDelta]]:
    """Every stream's pieces as they come, each with its stream's index; the first failure ends them all."""
    if len(streams) == 1:
        async for delta in streams[0]:
            yield 0, delta
        return
    queue: asyncio.Queue[tuple[int, GenerationDelta | BaseException | None]] = asyncio.Queue()

    async def pump(index: int, stream: AsyncIterator[GenerationDelta]) -> None:
        try:
            async for delta in stream:
                await queue.put((index, delta))
            await queue.put((index, None))
        except Exception as exc:  # handed to the reader, which raises it
            await queue.put((index, exc))

    tasks = [asyncio.create_task(pump(i, stream)) for i, stream in enumerate(streams)]
    try:
        running = len(tasks)
        while running:
            index, item = await queue.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                running -= 1
                continue
            yield index, item
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
