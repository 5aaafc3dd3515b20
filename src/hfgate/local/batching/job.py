"""One request's texts while they wait for, and go through, forward passes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False, slots=True)
class Job(Generic[T, R]):
    """A request's items, the results gathered so far, and the future its caller awaits."""

    items: list[T]
    lengths: list[int]
    future: asyncio.Future[list[R]]
    background: bool = False
    """Submitted as background work (a batch line): it yields to interactive work (``priority``)."""
    results: list[R | None] = field(init=False)
    remaining: int = field(init=False)
    queued_at: float = field(init=False)

    def __post_init__(self) -> None:
        self.results = [None] * len(self.items)
        self.remaining = len(self.items)
        self.queued_at = time.perf_counter()

    @property
    def waiting(self) -> bool:
        """Whether someone still wants the result (not cancelled, not failed)."""
        return not self.future.done()

    def deliver(self, index: int, result: R) -> None:
        """Record the result of item ``index``; completes the future with the last one."""
        if not self.waiting:
            return
        self.results[index] = result
        self.remaining -= 1
        if self.remaining == 0:
            self.future.set_result(cast("list[R]", self.results))

    def fail(self, exc: BaseException) -> None:
        if self.waiting:
            self.future.set_exception(exc)
