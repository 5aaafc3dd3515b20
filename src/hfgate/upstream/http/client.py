"""The upstream client: rate limit, send, retry, and translate failures, for every upstream call.

A :class:`Call` says who calls (the endpoint, its key, its rate limit) and how long it may take; the
client spends that time on waiting for a rate-limit slot, on attempts and on backoff, and never more.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from hfgate.errors import UpstreamError, UpstreamRateLimitError
from hfgate.fleet.limits import Limiter, RateLimitRefusedError
from hfgate.upstream.http import failures
from hfgate.upstream.http.ratelimit import RateLimiters, group_key
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
from hfgate.upstream.wire.sse import sse_data

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """Who is calling, and within which limits.

    Args:
        inference_id: the endpoint, named in every error.
        api_key: sent as ``Authorization: Bearer``.
        timeout: seconds for the whole call, waits and retries included.
        target: the rate-limit group's upstream (url or model id); empty means not rate limited.
        requests_per_minute: the group's rate.
        model: what is loading, for the "still loading" error.
        scale_up: ask a scaled-to-zero Inference Endpoint to hold the request (``X-Scale-Up-Timeout``).
        extra_headers: further headers (``X-HF-Bill-To``…).
    """

    inference_id: str
    api_key: str
    timeout: float
    target: str = ""
    requests_per_minute: float = 3000.0
    model: str = ""
    scale_up: bool = False
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    def headers(self, remaining: float, *, accept: str = "application/json") -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": accept, **self.extra_headers}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if self.scale_up:
            headers["X-Scale-Up-Timeout"] = str(max(1, int(remaining)))
        return headers


class UpstreamClient:
    """Sends JSON to Hugging Face-style servers, dependably.

    Args:
        transport: the HTTP client (default: a pooled :class:`AiohttpTransport`).
        retry: the retry policy.
        limiters: the rate-limit groups (per process, or shared through Redis).

    Example:
        >>> client = UpstreamClient()
        >>> call = Call(inference_id="e5", api_key="hf_x", timeout=30, target="http://tei:8080")
        >>> # vectors = await client.post_json(call, "http://tei:8080", {"inputs": ["hi"]})
    """

    def __init__(
        self,
        *,
        transport: Transport | None = None,
        retry: RetryPolicy | None = None,
        limiters: Limiter | None = None,
    ) -> None:
        self.transport: Transport = transport or AiohttpTransport()
        self.retry = retry or RetryPolicy()
        self.limiters: Limiter = limiters or RateLimiters()

    async def post_json(self, call: Call, url: str, payload: Any, parse: Callable[[Any], T]) -> T:
        """POST ``payload`` as JSON; the answer's JSON read by ``parse``.

        Raises:
            UpstreamError: the call failed, or the answer broke the protocol (``parse`` raised
                :class:`WireFormatError`); the subclass and reason say how.
        """
        response = await self._send(call, "POST", url=url, body=orjson.dumps(payload))
        return self.decode(call, url, response.body, parse)

    async def get_json(self, call: Call, url: str, parse: Callable[[Any], T]) -> T:
        """GET ``url``; the answer's JSON read by ``parse``.

        Raises:
            UpstreamError: the call failed.
        """
        response = await self._send(call, "GET", url=url, body=None)
        return self.decode(call, url, response.body, parse)

    async def get_response(self, call: Call, url: str) -> HttpResponse:
        """GET ``url`` with limits and retries but without raising on error statuses 404 and 403/401.

        Raises:
            UpstreamError: the call failed for any other reason.
        """
        return await self._send(call, "GET", url=url, body=None, accept_statuses=frozenset({401, 403, 404}))

    async def stream_events(self, call: Call, url: str, payload: Any, parse: Callable[[Any], T]) -> AsyncIterator[T]:
        """POST ``payload`` and yield each server-sent event read by ``parse``; ``[DONE]`` ends the stream.

        Retries happen only before the first byte of the answer. An error event
        (``{"error": …, "error_type": …}``, as TGI sends mid-stream) ends the stream with its error.

        Raises:
            UpstreamError: the call failed, before or during the stream.
        """
        deadline = time.monotonic() + call.timeout
        async with self._open_stream(call, url, body=orjson.dumps(payload), deadline=deadline) as response:
            try:
                async for data in sse_data(response.lines()):
                    if data.strip() == "[DONE]":
                        return
                    yield self.decode(call, url, data.encode(), parse)
            except TransportError as exc:
                raise failures.transport_error(exc, inference_id=call.inference_id, timeout=call.timeout) from exc

    def decode(self, call: Call, url: str, body: bytes, parse: Callable[[Any], T]) -> T:
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
        deadline = time.monotonic() + call.timeout
        retries = 0
        while True:
            remaining = await self._admit(call, deadline)
            try:
                response = await self.transport.request(
                    method, url, headers=call.headers(remaining), body=body, timeout=remaining
                )
            except TransportError as exc:
                delay = self._transport_retry(exc, call, retries=retries)
            else:
                if response.status < 400 or response.status in accept_statuses:
                    return response
                delay = self._status_retry(
                    call, response.status, body=response.body, headers=response.headers, retries=retries
                )
            retries += await self._pause(call, delay, deadline=deadline)

    @asynccontextmanager
    async def _open_stream(
        self, call: Call, url: str, *, body: bytes, deadline: float
    ) -> AsyncIterator[StreamingResponse]:
        retries = 0
        while True:
            remaining = await self._admit(call, deadline)
            async with AsyncExitStack() as stack:
                try:
                    response = await stack.enter_async_context(
                        self.transport.stream(
                            "POST",
                            url,
                            headers=call.headers(remaining, accept="text/event-stream"),
                            body=body,
                            timeout=remaining,
                        )
                    )
                    error_body = await response.read() if response.status >= 400 else b""
                except TransportError as exc:
                    delay = self._transport_retry(exc, call, retries=retries)
                else:
                    if response.status < 400:
                        yield response
                        return
                    delay = self._status_retry(
                        call, response.status, body=error_body, headers=response.headers, retries=retries
                    )
            retries += await self._pause(call, delay, deadline=deadline)

    async def _admit(self, call: Call, deadline: float) -> float:
        """Wait for a rate-limit slot; the time left for the attempt."""
        if call.target:
            key = group_key(call.target, call.api_key)
            try:
                await self.limiters.acquire(key, requests_per_minute=call.requests_per_minute, deadline=deadline)
            except RateLimitRefusedError as exc:
                raise _refused(call, exc, max_waiting=self.limiters.max_waiting) from exc
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise failures.transport_error(
                TimedOutError(call.target or "upstream", "no time left"),
                inference_id=call.inference_id,
                timeout=call.timeout,
            )
        return remaining

    def _transport_retry(self, exc: TransportError, call: Call, *, retries: int) -> _Delay:
        if isinstance(exc, TimedOutError | HostNotFoundError) or not self.retry.may_retry(retries):
            raise failures.transport_error(exc, inference_id=call.inference_id, timeout=call.timeout) from exc
        error = failures.transport_error(exc, inference_id=call.inference_id, timeout=call.timeout)
        return _Delay(self.retry.backoff(retries), error, counts=True)

    def _status_retry(
        self, call: Call, status: int, *, body: bytes, headers: Mapping[str, str], retries: int
    ) -> _Delay:
        error = failures.status_error(inference_id=call.inference_id, status=status, body=body, headers=headers)
        loading = loading_time(status, body)
        if loading is not None:
            timeout_error = failures.still_loading(
                inference_id=call.inference_id, model=call.model or call.target, timeout=call.timeout
            )
            return _Delay(loading, error, counts=False, on_deadline=timeout_error)
        wait = self.retry.wait_after(status, retry=retries, headers=headers)
        if wait is None:
            raise error
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


def _refused(call: Call, exc: RateLimitRefusedError, *, max_waiting: int) -> UpstreamRateLimitError:
    limit = f"[{call.requests_per_minute:g}] requests per minute"
    if exc.why == "queue_full":
        detail = f"[{max_waiting}] requests are already waiting for this upstream"
    else:
        detail = f"the next free slot is in [{exc.wait:.1f}s], after the request's timeout [{call.timeout:g}s]"
    return UpstreamRateLimitError(
        f"Rate limit of {limit} reached for inference entity id [{call.inference_id}]: {detail}. Retry "
        "later, or raise [service_settings.rate_limit.requests_per_minute] if the upstream allows it."
    )
