"""Waiting for a condition instead of sleeping for a guessed time: a busy machine only makes it slower.

Example:
    >>> wait_until(lambda: True)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


def wait_until(condition: Callable[[], bool], *, within: float = 30.0, what: str = "the condition") -> None:
    """Poll ``condition`` (from a thread) until it holds; fails the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not come within {within} s"
        time.sleep(0.005)


async def until(condition: Callable[[], bool], *, within: float = 30.0, what: str = "the condition") -> None:
    """Poll ``condition`` on the event loop until it holds; fails the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not come within {within} s"
        await asyncio.sleep(0.001)


async def until_true(
    probe: Callable[[], Awaitable[bool]], *, within: float = 30.0, what: str = "the condition"
) -> None:
    """Await ``probe`` (an HTTP look, say) until it answers true; fails the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await probe():
        assert time.monotonic() < deadline, f"{what} did not come within {within} s"
        await asyncio.sleep(0.05)
