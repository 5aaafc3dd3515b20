"""Several choices for one request (``n`` > 1), as OpenAI, vLLM and TGI answer them: ``n`` generations of the
same request, each its own call through the orchestrator (so keys, limits, budgets and fallbacks hold for
each), run side by side. Choice ``i`` of a seeded request is sampled with ``seed + i``, so the choices differ
and the same request gives the same choices; greedy choices are alike, as everywhere. Streamed, the pieces of
every choice come as they are written, each carrying its choice's ``index``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import TypeVar

from hfgate.errors import BadRequestError
from hfgate.tasks import ChatRequest, GenerateRequest, GenerationDelta, Usage

MOST_CHOICES = 128
"""The most choices one request may ask for (OpenAI's limit for ``n``)."""

R = TypeVar("R", ChatRequest, GenerateRequest)


def choice_count(n: int | None, best_of: int | None) -> int:
    """How many choices the request asks for (``null`` is 1, as OpenAI and TGI read it).

    Raises:
        BadRequestError: ``n`` outside 1..128, or a ``best_of`` other than ``n`` (hfgate ranks no candidates).

    Example:
        >>> choice_count(None, None), choice_count(3, None), choice_count(2, 2)
        (1, 3, 2)
    """
    count = 1 if n is None else n
    if not 1 <= count <= MOST_CHOICES:
        raise BadRequestError(f"[n] must be between 1 and {MOST_CHOICES}, got [{count}]", param="n")
    if best_of not in (None, 1, count):
        raise BadRequestError(
            f"[best_of] [{best_of}] is not supported: hfgate ranks no extra candidates; leave it out, or ask for "
            f"[n] choices",
            param="best_of",
        )
    return count


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
