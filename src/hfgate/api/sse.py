"""Server-sent events: framing, and streaming responses that fail properly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import orjson
from starlette.responses import StreamingResponse

from hfgate.errors import HfGateError, ShuttingDownError
from hfgate.process import drain

log = logging.getLogger("hfgate.api")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

T = TypeVar("T")


def sse(data: Any, *, event: str | None = None) -> bytes:
    """One event: ``event: …`` (optional), ``data: <json or text>``, and the blank line that ends it."""
    payload = data if isinstance(data, str) else orjson.dumps(data).decode()
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


async def event_stream(events: AsyncIterator[bytes], *, on_error: Callable[[HfGateError], bytes]) -> StreamingResponse:
    """A ``text/event-stream`` response of ``events``.

    The first event is awaited before answering, so that a failure to start (a model that cannot load,
    an upstream that refuses) gets its real HTTP status instead of an error after a 200. Once the
    headers are sent, an error becomes one last event, in the face's shape (``on_error``), and so does
    the drain's deadline (:mod:`hfgate.process.drain`) for a stream still open then.
    """
    first = await anext(events)
    return StreamingResponse(
        _then(first, events, on_error=on_error), media_type="text/event-stream", headers=SSE_HEADERS
    )


async def _then(
    first: bytes, events: AsyncIterator[bytes], *, on_error: Callable[[HfGateError], bytes]
) -> AsyncIterator[bytes]:
    yield first
    stream = drain.PROCESS.enter(waiting=False)
    try:
        while not stream.ended:
            stream.waiting = True
            event = await anext(events)
            stream.waiting = False
            yield event
        yield on_error(_drained())
    except StopAsyncIteration:
        return
    except asyncio.CancelledError:
        if not stream.ended:  # the client left, or the server is cancelling: not the drain's deadline
            raise
        stream.task.uncancel()
        yield on_error(_drained())
    except HfGateError as exc:
        yield on_error(exc)
    except Exception as exc:  # a bug mid-stream still ends the stream with an error event, not a cut
        yield on_error(_unexpected(exc))
    finally:
        drain.PROCESS.leave(stream)


async def chained(first: T | None, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    """``first`` (already awaited, so that a refusal to start keeps its HTTP status), then ``rest``;
    nothing when ``first`` is None (the stream was empty)."""
    if first is None:
        return
    yield first
    async for item in rest:
        yield item


def _drained() -> HfGateError:
    log.warning("stream ended by the drain deadline", extra={"event": "stream.drained"})
    return ShuttingDownError(drain.DEADLINE_PASSED + "; the stream ends here")


def _unexpected(exc: Exception) -> HfGateError:
    log.error("unexpected error in a stream", exc_info=exc, extra={"event": "stream.error"})
    return HfGateError("Internal error while streaming the answer; the stream ends here")
