"""One inference call on an endpoint: recorded for the web page, counted in the metrics, and moved to
the endpoint's fallback when its own upstreams fail (before the first streamed piece, for streams)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

from hfgate.errors import HfGateError
from hfgate.orchestrator.fallback import Find, fallback_for
from hfgate.orchestrator.last_call import LastCalls
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import GenerationDelta, Usage
from hfgate.telemetry.metrics import FIRST_TOKEN_SECONDS, TOKENS
from hfgate.telemetry.request_scope import add_tokens, request_started


class _HasUsage(Protocol):
    @property
    def usage(self) -> Usage: ...


R = TypeVar("R", bound=_HasUsage)


class Runner:
    """Runs inference work on an endpoint, or on its fallback.

    Args:
        last_calls: where each endpoint's last outcome is recorded.
        find: looks an endpoint up by id (for the fallback).
    """

    def __init__(self, *, last_calls: LastCalls, find: Find) -> None:
        self._last_calls = last_calls
        self._find = find

    async def run(self, endpoint: Endpoint, work: Callable[[Endpoint], Awaitable[R]]) -> R:
        """``work(endpoint)``, or ``work(fallback)`` when the endpoint's upstreams all failed."""
        try:
            result = await self._last_calls.track(endpoint.inference_id, work(endpoint))
        except HfGateError as exc:
            fallback = await fallback_for(endpoint, exc, find=self._find)
            if fallback is None:
                raise
            endpoint = fallback
            result = await self._last_calls.track(fallback.inference_id, work(fallback))
        count_tokens(endpoint.inference_id, result.usage)
        return result

    async def stream(
        self, endpoint: Endpoint, work: Callable[[Endpoint], AsyncIterator[GenerationDelta]]
    ) -> AsyncIterator[GenerationDelta]:
        """``work(endpoint)``'s pieces; the fallback's when the first piece could not be had."""
        started = request_started() or time.perf_counter()
        deltas = self._last_calls.track_stream(endpoint.inference_id, work(endpoint))
        try:
            first = await anext(deltas, None)
        except HfGateError as exc:
            fallback = await fallback_for(endpoint, exc, find=self._find)
            if fallback is None:
                raise
            endpoint = fallback
            deltas = self._last_calls.track_stream(fallback.inference_id, work(fallback))
            first = await anext(deltas, None)
        if first is None:
            return
        FIRST_TOKEN_SECONDS(endpoint.inference_id).observe(time.perf_counter() - started)
        yield first
        last = first
        async for delta in deltas:
            last = delta
            yield delta
        if last.usage is not None:
            count_tokens(endpoint.inference_id, last.usage)


def count_tokens(inference_id: str, usage: Usage) -> None:
    add_tokens(input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens)
    if usage.prompt_tokens:
        TOKENS(inference_id, "in").inc(usage.prompt_tokens)
    if usage.completion_tokens:
        TOKENS(inference_id, "out").inc(usage.completion_tokens)
