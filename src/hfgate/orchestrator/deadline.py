"""One deadline per inference request, set here for every face.

A request's deadline is its task type's default (:class:`Deadlines`, from the settings, else
Elasticsearch's documented values), or what the client asked where its protocol lets it ask
(Elasticsearch's ``?timeout=``). It bounds the whole call once, its fallback and retries included; a call
made while a deadline is open (a chunked embedding's, each input of a several-input completion) joins it
instead of starting its own. A stream is bounded piece by piece: the first piece (its fallback included),
then each next one, so a stream that stalls ends, and a long one that keeps coming does not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from hfgate.config import Settings
from hfgate.errors import HfGateError, RequestTimeoutError
from hfgate.tasks import TaskType

T = TypeVar("T")

_OPEN: ContextVar[float | None] = ContextVar("hfgate_deadline", default=None)
"""The seconds of the deadline open in this context (a request's task, and the tasks it starts)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadlines:
    """The default deadline per task type: ``embedding`` for embeddings, sparse embeddings and rerank,
    ``generation`` for completion and chat; ``None`` takes the task type's ``default_timeout``."""

    embedding: float | None = None
    generation: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Deadlines:
        """``HFGATE_INFERENCE_TIMEOUT_SECONDS`` and ``HFGATE_GENERATION_TIMEOUT_SECONDS``."""
        return cls(embedding=settings.inference_timeout_seconds, generation=settings.generation_timeout_seconds)

    def default(self, task_type: TaskType) -> float:
        """Seconds a request of ``task_type`` may take when its client did not ask.

        Example:
            >>> Deadlines(embedding=5.0).default(TaskType.RERANK), Deadlines().default(TaskType.COMPLETION)
            (5.0, 120.0)
        """
        configured = self.generation if task_type.streams else self.embedding
        return configured if configured is not None else task_type.default_timeout

    def seconds(self, task_type: TaskType) -> float:
        """The deadline of a call now: the one open in this context, else ``task_type``'s default."""
        return _OPEN.get() or self.default(task_type)

    @asynccontextmanager
    async def bound(self, task_type: TaskType, *, asked: float | None = None) -> AsyncIterator[float]:
        """Open the request's deadline (``asked`` seconds, else the default) around the block, or join the
        one already open; yields its seconds.

        Raises:
            RequestTimeoutError: the deadline passed before the block ended.
        """
        if (open_seconds := _OPEN.get()) is not None:
            yield open_seconds
            return
        seconds = asked or self.default(task_type)
        token = _OPEN.set(seconds)
        try:
            async with expiring(seconds, task_type=task_type, asked=asked is not None):
                yield seconds
        finally:
            _OPEN.reset(token)


@asynccontextmanager
async def expiring(seconds: float, *, task_type: TaskType, asked: bool) -> AsyncIterator[None]:
    """The block within ``seconds``, else :class:`RequestTimeoutError`. An error the block raised as the
    deadline passed is the deadline's (an upstream call given the same seconds can time out in the same
    instant, before the cancellation reaches it); one raised before, a ``TimeoutError`` of its own among
    them, passes unchanged.

    Raises:
        RequestTimeoutError: naming the seconds and how to raise them.
    """
    timer = asyncio.timeout(seconds)
    try:
        async with timer:
            yield
    except (TimeoutError, HfGateError) as exc:
        if not timer.expired():
            raise
        raise timed_out(seconds, task_type=task_type, asked=asked) from exc


def timed_out(seconds: float, *, task_type: TaskType, asked: bool) -> RequestTimeoutError:
    """The one error of a passed deadline: Elasticsearch's words first, then how to wait longer.

    Example:
        >>> timed_out(30, task_type=TaskType.RERANK, asked=False).reason.split(";")[0]
        'Request timed out after [30s]'
    """
    if asked:
        how = "raise the request's ?timeout= to wait longer"
    else:
        setting = "HFGATE_GENERATION_TIMEOUT_SECONDS" if task_type.streams else "HFGATE_INFERENCE_TIMEOUT_SECONDS"
        how = f"to wait longer, raise {setting} (or send ?timeout= to the Elasticsearch API)"
    return RequestTimeoutError(f"Request timed out after [{seconds:g}s]; {how}")
