"""One inference call on an endpoint: within the request's deadline, recorded for the web
page (:class:`LastCalls`), counted in the metrics, and moved to the endpoint's fallback when its own
upstreams fail (before the first streamed piece, for streams).

The last calls are per process and never persisted: they answer "did this endpoint work when someone last
used it here?", which is what the endpoints table shows. A restart forgets them, and each replica knows its
own calls.

One deadline per inference request, set here for every face: a request's deadline is its task type's default
(:class:`Deadlines`, from the settings, else Elasticsearch's documented values), or what the client asked where its
protocol lets it ask (Elasticsearch's ``?timeout=``). It bounds the whole call once, its fallback and retries
included; a call made while a deadline is open (a chunked embedding's, each input of a several-input completion)
joins it instead of starting its own. A stream is bounded piece by piece: the first piece (its fallback included),
then each next one, so a stream that stalls ends, and a long one that keeps coming does not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, TypeVar

from hfgate.access.principal import CURRENT
from hfgate.access.spend import ANONYMOUS, DEFAULT_OUTPUT_BOUND, MILLION, price_of, reserve
from hfgate.config import Settings
from hfgate.errors import HfGateError, RequestTimeoutError
from hfgate.orchestrator.fallback import Find, fallback_for
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import GenerationDelta, GenerationParams, TaskType, Usage
from hfgate.telemetry.metrics import FIRST_TOKEN_SECONDS, SPEND, TOKENS
from hfgate.telemetry.request_scope import add_spend, add_tokens, body_bytes, request_started


class _HasUsage(Protocol):
    @property
    def usage(self) -> Usage: ...


R = TypeVar("R", bound=_HasUsage)


class Runner:
    """Runs inference work on an endpoint, or on its fallback, within the request's deadline.

    Args:
        last_calls: where each endpoint's last outcome is recorded.
        find: looks an endpoint up by id (for the fallback).
        deadlines: the default deadline per task type.
    """

    def __init__(self, *, last_calls: LastCalls, find: Find, deadlines: Deadlines) -> None:
        self._last_calls = last_calls
        self._find = find
        self.deadlines = deadlines

    async def run(self, endpoint: Endpoint, work: Callable[[Endpoint], Awaitable[R]], *, writes: int = 0) -> R:
        """``work(endpoint)``, or ``work(fallback)`` when the endpoint's upstreams all failed, both within one
        deadline; ``writes``: the most output tokens it may write (for the budgets' reservation).

        Raises:
            RequestTimeoutError: the deadline passed first.
        """
        async with self.deadlines.bound(endpoint.task_type):
            return await self._run(endpoint, work, writes=writes)

    async def _run(self, endpoint: Endpoint, work: Callable[[Endpoint], Awaitable[R]], *, writes: int) -> R:
        await reserve_for(endpoint, writes=writes)
        try:
            result = await self._last_calls.track(endpoint.inference_id, work(endpoint))
        except HfGateError as exc:
            fallback = await fallback_for(endpoint, exc, find=self._find)
            if fallback is None:
                raise
            endpoint = fallback
            await reserve_for(endpoint, writes=writes)
            result = await self._last_calls.track(fallback.inference_id, work(fallback))
        count_tokens(endpoint, result.usage)
        return result

    async def stream(
        self, endpoint: Endpoint, work: Callable[[Endpoint], AsyncIterator[GenerationDelta]], *, writes: int
    ) -> AsyncIterator[GenerationDelta]:
        """``work(endpoint)``'s pieces; the fallback's when the first piece could not be had. The deadline
        bounds the wait for the first piece (the fallback's included), then the wait for each next one.

        Raises:
            RequestTimeoutError: a piece did not come within the deadline.
        """
        started = request_started() or time.perf_counter()
        seconds, kind = self.deadlines.seconds(endpoint.task_type), endpoint.task_type
        async with expiring(seconds, task_type=kind, asked=False):
            endpoint, deltas, first = await self._first(endpoint, work, writes=writes)
        if first is None:
            return
        FIRST_TOKEN_SECONDS(endpoint.inference_id).observe(time.perf_counter() - started)
        yield first
        last = first
        while True:
            async with expiring(seconds, task_type=kind, asked=False):
                delta = await anext(deltas, None)
            if delta is None:
                break
            last = delta
            yield delta
        if last.usage is not None:
            count_tokens(endpoint, last.usage)

    async def _first(
        self, endpoint: Endpoint, work: Callable[[Endpoint], AsyncIterator[GenerationDelta]], *, writes: int
    ) -> tuple[Endpoint, AsyncIterator[GenerationDelta], GenerationDelta | None]:
        """The endpoint that answers, its pieces, and the first of them (``None``: none came)."""
        await reserve_for(endpoint, writes=writes)
        deltas = self._last_calls.track_stream(endpoint.inference_id, work(endpoint))
        try:
            return endpoint, deltas, await anext(deltas, None)
        except HfGateError as exc:
            fallback = await fallback_for(endpoint, exc, find=self._find)
            if fallback is None:
                raise
            await reserve_for(fallback, writes=writes)
            deltas = self._last_calls.track_stream(fallback.inference_id, work(fallback))
            return fallback, deltas, await anext(deltas, None)


async def reserve_for(endpoint: Endpoint, *, writes: int) -> None:
    """Reserve the call's most on its budgets: the request body's bytes bound its input tokens."""
    await reserve(endpoint, input_tokens=body_bytes(), output_tokens=writes)


def writes(params: GenerationParams) -> int:
    """The most output tokens a generation may write: its ``max_tokens``, else the budgets' default bound."""
    return params.max_new_tokens or DEFAULT_OUTPUT_BOUND


def count_tokens(endpoint: Endpoint, usage: Usage) -> None:
    """The tokens in the request's usage and the metrics, and what they cost at ``endpoint``'s price."""
    inference_id = endpoint.inference_id
    read, written, cached = usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens
    add_tokens(input_tokens=read, output_tokens=written, cached_tokens=cached)
    price = price_of(endpoint.service_settings)
    if price is not None:
        cost = price.cost(input_tokens=read, cached_tokens=cached, output_tokens=written)
        add_spend(inference_id, cost)
        principal = CURRENT.get()
        SPEND(inference_id, principal.key_id if principal is not None else ANONYMOUS).inc(float(cost / MILLION))
    if usage.prompt_tokens:
        TOKENS(inference_id, "in").inc(usage.prompt_tokens)
    if usage.completion_tokens:
        TOKENS(inference_id, "out").inc(usage.completion_tokens)


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


_OPEN: ContextVar[float | None] = ContextVar("hfgate_deadline", default=None)
"""The seconds of the deadline open in this context (a request's task, and the tasks it starts)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadlines:
    """The default deadline per task type: ``embedding`` for embeddings, sparse embeddings and rerank,
    ``generation`` for the tasks that write text (completion, chat, summarization, translation, speech
    recognition); ``None`` takes the task type's ``default_timeout``."""

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
        configured = self.generation if task_type.writes else self.embedding
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
