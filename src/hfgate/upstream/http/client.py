"""The upstream client: rate limit, send, retry, and translate failures, for every upstream call.

A :class:`Call` says who calls (the endpoint, its key, its rate limit) and how long it may take; the
client spends that time on waiting for a rate-limit slot, on attempts and on backoff, and never more.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import orjson

from hfgate.errors import RateLimitRefusedError, UpstreamError
from hfgate.ratelimit.limiter import Limiter
from hfgate.ratelimit.pacing import RateLimiters, group_key
from hfgate.telemetry.metrics import RETRIES
from hfgate.upstream.http import failures
from hfgate.upstream.http.attempt_metrics import count_admission, timed_attempt
from hfgate.upstream.http.balancer import Balancers
from hfgate.upstream.http.call import Call as Call
from hfgate.upstream.http.failover import EJECTING, Failover
from hfgate.upstream.http.retry import RetryPolicy, loading_time
from hfgate.upstream.http.transport import (
    AiohttpTransport,
    HostNotFoundError,
    HttpResponse,
    StreamingResponse,
    TimedOutError,
    Transport,
    TransportError,
)
from hfgate.upstream.wire.common import WireFormatError
from hfgate.upstream.wire.form import encoded
from hfgate.upstream.wire.sse import sse_data

Seen = Callable[[Mapping[str, str]], None] | None  # shown an answer's headers (who answered)
T = TypeVar("T")


class UpstreamClient:
    """Sends JSON to Hugging Face-style servers, dependably.

    Args:
        transport: the HTTP client (default: a pooled :class:`AiohttpTransport`).
        retry: the retry policy.
        limiters: the rate-limit groups (per process, or shared through Redis).

    Example:
        >>> client = UpstreamClient()
        >>> call = Call(inference_id="e5", api_key="hf_x", timeout=30, target="http://tei:8080")
        >>> # vectors = await client.post_json(call, "http://tei:8080", payload={"inputs": ["hi"]}, parse=...)
    """

    def __init__(
        self,
        *,
        transport: Transport | None = None,
        retry: RetryPolicy | None = None,
        limiters: Limiter | None = None,
        balancers: Balancers | None = None,
    ) -> None:
        self.transport: Transport = transport or AiohttpTransport()
        self.retry = retry or RetryPolicy()
        self.limiters: Limiter = limiters or RateLimiters()
        self.balancers = balancers or Balancers()

    async def post_json(self, call: Call, url: str, *, payload: Any, parse: Callable[[Any], T], seen: Seen = None) -> T:
        """POST ``payload`` (JSON, or a multipart ``Form``); ``parse`` reads the answer's JSON, ``seen`` its headers.

        Raises:
            UpstreamError: the call failed, or the answer broke the protocol (``parse`` raised
                :class:`WireFormatError`); the subclass and reason say how.
        """
        body, headers = await encoded(payload)
        call = replace(call, extra_headers={**call.extra_headers, **headers}) if headers else call
        response = await self._send(call, "POST", url=url, body=body)
        if seen is not None:
            seen(response.headers)
        return self.decode(call, url, body=response.body, parse=parse)

    async def get_response(self, call: Call, url: str) -> HttpResponse:
        """GET ``url`` with limits and retries but without raising on error statuses 404 and 403/401.

        Raises:
            UpstreamError: the call failed for any other reason.
        """
        return await self._send(call, "GET", url=url, body=None, accept_statuses=frozenset({401, 403, 404}))

    async def stream_events(
        self, call: Call, url: str, *, payload: Any, parse: Callable[[Any], T], seen: Seen = None
    ) -> AsyncIterator[T]:
        """POST ``payload`` and yield each server-sent event read by ``parse``; ``[DONE]`` ends the stream.
        ``seen`` is shown the answer's headers before the first event. Retries happen only before the first byte
        of the answer; an error event (``{"error": …, "error_type": …}``, as TGI sends mid-stream) ends the
        stream with its error.

        Raises:
            UpstreamError: the call failed, before or during the stream.
        """
        deadline = time.monotonic() + call.timeout
        async with self._open_stream(call, url, body=orjson.dumps(payload), deadline=deadline) as response:
            if seen is not None:
                seen(response.headers)
            try:
                async for data in sse_data(response.lines()):
                    if data.strip() == "[DONE]":
                        return
                    yield self.decode(call, url, body=data.encode(), parse=parse)
            except TransportError as exc:
                raise failures.transport_error(exc, inference_id=call.inference_id, timeout=call.timeout) from exc

    def decode(self, call: Call, url: str, *, body: bytes, parse: Callable[[Any], T]) -> T:
        """``body`` as JSON, read by ``parse``.

        Raises:
            UpstreamServerError: it is not JSON, or ``parse`` found it breaks the protocol.
            UpstreamError: it is an error event of a stream.
        """
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            problem = f"the body is not JSON ({exc}): [{body[:200].decode('utf-8', 'replace')}]"
            raise failures.malformed_response(inference_id=call.inference_id, url=url, problem=problem) from exc
        if isinstance(parsed, dict) and parsed.get("error") is not None:
            raise failures.event_error(inference_id=call.inference_id, event=parsed)
        try:
            return parse(parsed)
        except WireFormatError as exc:
            raise failures.malformed_response(inference_id=call.inference_id, url=url, problem=str(exc)) from exc

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.transport.aclose()

    async def _send(
        self,
        call: Call,
        method: str,
        *,
        url: str,
        body: bytes | None,
        accept_statuses: frozenset[int] = frozenset(),
    ) -> HttpResponse:
        if not call.upstreams:
            return await self._send_one(call, method, url=url, body=body, accept_statuses=accept_statuses)
        attempts = Failover(self.balancers.group(call.upstreams), call, url=url)
        while True:
            upstream, one, moved = attempts.next()
            with attempts.lease(upstream):
                try:
                    return await self._send_one(one, method, url=moved, body=body, accept_statuses=accept_statuses)
                except EJECTING as exc:
                    attempts.failed(upstream, exc)

    async def _send_one(
        self,
        call: Call,
        method: str,
        *,
        url: str,
        body: bytes | None,
        accept_statuses: frozenset[int],
    ) -> HttpResponse:
        deadline = time.monotonic() + call.timeout
        retries = 0
        while True:
            remaining = await self._admit(call, deadline)
            try:
                with timed_attempt(call) as attempt:
                    response = await self.transport.request(
                        method, url, headers=call.headers(remaining), body=body, timeout=remaining
                    )
                    attempt.status = response.status
            except TransportError as exc:
                delay = self._transport_retry(exc, call, retries=retries)
            else:
                if response.status < 300 or response.status in accept_statuses:  # a 3xx left is a redirect elsewhere
                    return response
                delay = self._status_retry(
                    call, response.status, body=response.body, headers=response.headers, retries=retries
                )
            retries += await self._pause(call, delay, deadline=deadline)

    @asynccontextmanager
    async def _open_stream(
        self, call: Call, url: str, *, body: bytes, deadline: float
    ) -> AsyncIterator[StreamingResponse]:
        if not call.upstreams:
            async with self._open_one_stream(call, url, body=body, deadline=deadline) as response:
                yield response
            return
        attempts = Failover(self.balancers.group(call.upstreams), call, url=url)
        while True:
            upstream, one, moved = attempts.next()
            with attempts.lease(upstream):
                async with AsyncExitStack() as stack:
                    opening = self._open_one_stream(one, moved, body=body, deadline=deadline)
                    try:
                        response = await stack.enter_async_context(opening)
                    except EJECTING as exc:
                        attempts.failed(upstream, exc)
                        continue
                    yield response
                    return

    @asynccontextmanager
    async def _open_one_stream(
        self, call: Call, url: str, *, body: bytes, deadline: float
    ) -> AsyncIterator[StreamingResponse]:
        retries = 0
        while True:
            remaining = await self._admit(call, deadline)
            async with AsyncExitStack() as stack:
                try:
                    with timed_attempt(call) as attempt:
                        response = await stack.enter_async_context(
                            self.transport.stream(
                                "POST",
                                url,
                                headers=call.headers(remaining, accept="text/event-stream"),
                                body=body,
                                timeout=remaining,
                            )
                        )
                        attempt.status = response.status
                    error_body = await response.read() if response.status >= 300 else b""
                except TransportError as exc:
                    delay = self._transport_retry(exc, call, retries=retries)
                else:
                    if response.status < 300:
                        yield response
                        return
                    delay = self._status_retry(
                        call, response.status, body=error_body, headers=response.headers, retries=retries
                    )
            retries += await self._pause(call, delay, deadline=deadline)

    async def _admit(self, call: Call, deadline: float) -> float:
        """Wait for a rate-limit slot; the time left for the attempt."""
        if call.target:
            rate, key = call.requests_per_minute, group_key(call.target, call.api_key)
            try:
                waited = await self.limiters.acquire(key, requests_per_minute=rate, deadline=deadline)
            except RateLimitRefusedError as exc:
                raise failures.rate_limit_refused(call, exc, max_waiting=self.limiters.max_waiting) from exc
            count_admission(call, waited)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise failures.transport_error(
                TimedOutError(call.target or "upstream", "no time left"),
                inference_id=call.inference_id,
                timeout=call.timeout,
            )
        return remaining

    def _transport_retry(self, exc: TransportError, call: Call, *, retries: int) -> _Delay:
        final = isinstance(exc, TimedOutError | HostNotFoundError) or not self.retry.may_retry(retries)
        if final or not call.retry:
            raise failures.transport_error(exc, inference_id=call.inference_id, timeout=call.timeout) from exc
        error = failures.transport_error(exc, inference_id=call.inference_id, timeout=call.timeout)
        RETRIES(call.inference_id, "connection").inc()
        return _Delay(self.retry.backoff(retries), error, counts=True)

    def _status_retry(
        self, call: Call, status: int, *, body: bytes, headers: Mapping[str, str], retries: int
    ) -> _Delay:
        error = failures.status_error(inference_id=call.inference_id, status=status, body=body, headers=headers)
        if not call.retry:
            raise error
        loading = loading_time(status, body)
        if loading is not None:
            timeout_error = failures.still_loading(
                inference_id=call.inference_id, model=call.model or call.target, timeout=call.timeout
            )
            return _Delay(loading, error, counts=False, on_deadline=timeout_error)
        wait = self.retry.wait_after(status, retry=retries, headers=headers)
        if wait is None:
            raise error
        RETRIES(call.inference_id, str(status)).inc()
        return _Delay(wait, error, counts=True)

    async def _pause(self, call: Call, delay: _Delay, *, deadline: float) -> int:
        """Sleep before the next attempt; raise the last error if the deadline would pass first."""
        if time.monotonic() + delay.seconds >= deadline:
            raise delay.on_deadline or delay.error
        await asyncio.sleep(delay.seconds)
        return 1 if delay.counts else 0


@dataclass(frozen=True, slots=True)
class _Delay:
    seconds: float
    error: UpstreamError
    counts: bool
    on_deadline: UpstreamError | None = None
