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
from contextlib import AbstractAsyncContextManager, nullcontext
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import TracebackType

from hfgate.config import Settings
from hfgate.errors import HfGateError, RequestTimeoutError
from hfgate.tasks import TaskType

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

    def bound(self, task_type: TaskType, *, asked: float | None = None) -> AbstractAsyncContextManager[float]:
        """Open the request's deadline (``asked`` seconds, else the default) around the block, or join the
        one already open; the block is given its seconds.

        Raises:
            RequestTimeoutError: the deadline passed before the block ended.
        """
        if (open_seconds := _OPEN.get()) is not None:
            return nullcontext(open_seconds)
        seconds = asked or self.default(task_type)
        return _Deadline(seconds, task_type=task_type, asked=asked is not None, shared=True)


def expiring(seconds: float, *, task_type: TaskType, asked: bool) -> AbstractAsyncContextManager[float]:
    """The block within ``seconds`` (a wait of a stream), else :class:`RequestTimeoutError`; calls in it do
    not join it.

    Raises:
        RequestTimeoutError: naming the seconds and how to raise them.
    """
    return _Deadline(seconds, task_type=task_type, asked=asked, shared=False)


class _Deadline:
    """``asyncio.timeout`` that ends in :class:`RequestTimeoutError`, and (``shared``) that calls in its block
    join. A class, not a generator: it is entered once per inference request, on the hot path.

    An error the block raised as the deadline passed is the deadline's (an upstream call can time out in
    the same instant, before the cancellation reaches it); one raised before, a ``TimeoutError`` of its own
    among them, passes unchanged.
    """

    __slots__ = ("_asked", "_seconds", "_shared", "_task_type", "_timer", "_token")

    def __init__(self, seconds: float, *, task_type: TaskType, asked: bool, shared: bool) -> None:
        self._seconds, self._task_type, self._asked, self._shared = seconds, task_type, asked, shared
        self._timer = asyncio.timeout(seconds)
        self._token: Token[float | None] | None = None

    async def __aenter__(self) -> float:
        if self._shared:
            self._token = _OPEN.set(self._seconds)
        await self._timer.__aenter__()
        return self._seconds

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._token is not None:
            _OPEN.reset(self._token)
        try:
            await self._timer.__aexit__(kind, exc, traceback)
        except TimeoutError as expired:
            raise timed_out(self._seconds, task_type=self._task_type, asked=self._asked) from expired
        if self._timer.expired() and isinstance(exc, TimeoutError | HfGateError):
            raise timed_out(self._seconds, task_type=self._task_type, asked=self._asked) from exc


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
