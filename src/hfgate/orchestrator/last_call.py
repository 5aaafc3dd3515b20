"""The outcome of each endpoint's most recent inference call, kept in memory for the web page.

Per process and never persisted: it answers "did this endpoint work when someone last used it here?",
which is what the endpoints table shows. A restart forgets it, and each replica knows its own calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from hfgate.errors import HfGateError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LastCall:
    """When the last call ended, and why it failed (``None`` when it succeeded)."""

    at: datetime
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class LastCalls:
    """Records calls by endpoint id.

    Example:
        >>> calls = LastCalls()
        >>> # result = await calls.track("my-endpoint", model.embed(request))
        >>> calls.get("my-endpoint") is None
        True
    """

    def __init__(self) -> None:
        self._calls: dict[str, LastCall] = {}

    def get(self, inference_id: str) -> LastCall | None:
        return self._calls.get(inference_id)

    def record(self, inference_id: str, error: str | None = None) -> None:
        self._calls[inference_id] = LastCall(at=datetime.now(UTC), error=error)

    def forget(self, inference_id: str) -> None:
        self._calls.pop(inference_id, None)

    async def track(self, inference_id: str, call: Awaitable[T]) -> T:
        """Await ``call`` and record how it ended; errors propagate unchanged."""
        try:
            result = await call
        except Exception as exc:
            self.record(inference_id, _reason(exc))
            raise
        self.record(inference_id)
        return result

    async def track_stream(self, inference_id: str, stream: AsyncIterator[T]) -> AsyncIterator[T]:
        """``stream``'s items, recorded when it ends or fails (a reader that stops early records nothing)."""
        try:
            async for item in stream:
                yield item
        except Exception as exc:
            self.record(inference_id, _reason(exc))
            raise
        self.record(inference_id)


def _reason(exc: Exception) -> str:
    # Unexpected errors are logged with their details elsewhere; the page only says that one happened.
    return exc.reason if isinstance(exc, HfGateError) else "internal error"
