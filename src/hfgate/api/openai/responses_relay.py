"""``/v1/responses`` for an endpoint whose upstream serves the Responses API itself (the router, for a
hosted model): the request goes on as the client wrote it, and the answer — a response object, or its
stream of events — comes back as the upstream wrote it, event by event.

hfgate still checks the request as for any endpoint (the same fields are accepted everywhere), answers
``previous_response_id`` from its own store (the router keeps no state: the stored conversation is sent
before the new input) and stores the answer under the upstream's own response id, for the key that made
it, unless ``store: false``. A failed response is not stored: unstreamed it is an error (502 with the
upstream's message), streamed its ``response.failed`` event is relayed as it came.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import Response
from fastapi.responses import StreamingResponse

from hfgate.api.body import json_response
from hfgate.api.openai.errors import render_openai
from hfgate.api.sse import event_stream, sse
from hfgate.errors import HfGateError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import RelayedEvent, ResponsesRelay

Keep = Callable[[dict[str, Any]], Awaitable[None]]


async def relay(
    orch: Orchestrator, endpoint: Endpoint, request: ResponsesRelay, *, stream: bool, keep: Keep
) -> Response:
    """The upstream's answer, whole or streamed; ``keep`` is given the finished response."""
    if stream:
        return await _relay_stream(orch.respond_stream(endpoint, request), keep=keep)
    answer = await orch.respond(endpoint, request)
    await keep(answer.body)
    return json_response(answer.body)


async def _relay_stream(events: AsyncIterator[RelayedEvent], *, keep: Keep) -> StreamingResponse:
    sequence = -1

    async def produce() -> AsyncIterator[bytes]:
        nonlocal sequence
        final: dict[str, Any] | None = None
        async for event in events:
            sequence = event.data.get("sequence_number", sequence + 1)
            final = event.final.body if event.final is not None else final
            yield sse(event.data)  # the upstream's framing: data only, the type inside
        if final is not None and final.get("status") != "failed":  # a failure is relayed, not kept
            await keep(final)

    def on_error(exc: HfGateError) -> bytes:
        error = render_openai("/v1", exc)[1]["error"]
        fields = {"code": error["code"] or "server_error", "message": error["message"], "param": None}
        return sse({"type": "error", "sequence_number": sequence + 1, **fields})

    return await event_stream(produce(), on_error=on_error)
