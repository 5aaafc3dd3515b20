"""The one thread where local models compute, fed in arrival order.

Torch already spreads one forward pass over every core, so running two passes at once only makes both
slower. Every local engine submits its work here in small steps (one embedding batch, one decoding
step), so a long generation yields to a short embedding request between steps instead of starving it,
and the event loop stays free to serve HTTP while a model computes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Compute:
    """A single worker thread with a FIFO queue of model steps.

    Example:
        >>> compute = Compute()
        >>> # vectors = await compute.run(model.encode, texts)
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hfgate-compute")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the compute thread after the steps queued before it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn`` from any thread (no event loop needed), after the steps queued before it."""
        return self._executor.submit(fn)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
