"""A whole response in one socket write: uvicorn's response head held back until the body's first bytes.

uvicorn's httptools protocol writes a response's status line and headers as soon as the app sends
``http.response.start``, and the body with the next message: two ``send()`` calls per answer. Over
loopback the first write alone wakes the client and runs the TCP stack for a segment of ~200 bytes;
profiled under ``wrk -c32`` (docs/benchmarks/gateway.md) it was 11–14 % of hfgate's CPU, against 2 % for
the body's write. aiohttp's server (the bare forwarder) sends both together.

:class:`OneWriteCycle` holds the head of a response that declares its length (``content-length``)
and writes it with the body's first part. A streamed answer (chunked: server-sent events) has its head
held only until the event loop's next turn: with its first event when that is ready at once (hfgate's
streams start once their first event is known), alone otherwise, so a slow first event never holds the
head back. The answer to ``HEAD`` has no body to carry its head: it is written at once. Whatever ends
the response otherwise (the app failing, the connection closing) still sends the head first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import RequestResponseCycle


class HeadWithBody:
    """The connection's transport, holding the response head until the next write (or close)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.head: bytes | None = None
        self.holding = True

    def write(self, data: bytes) -> None:
        if self.holding:  # the head: uvicorn writes it in one piece
            self.head, self.holding = data, False
            return
        if self.head is not None:
            data, self.head = self.head + data, None
        self.transport.write(data)

    def flush(self) -> None:
        self.holding = False
        if self.head is not None:
            head, self.head = self.head, None
            self.transport.write(head)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class OneWriteCycle(RequestResponseCycle):
    """uvicorn's request-response cycle, writing a response of known length in one piece."""

    async def send(self, message: Any) -> None:
        if self.response_started or message["type"] != "http.response.start" or self.scope["method"] == "HEAD":
            await super().send(message)
            return
        held = HeadWithBody(self.transport)
        self.transport = held  # type: ignore[assignment]
        try:
            await super().send(message)
        finally:
            held.holding = False
            if held.head is None:  # no head written (a disconnected client, a bad header): nothing to hold
                self.transport = held.transport
            elif self.chunked_encoding:  # a stream: its head goes with its first event, or on the next turn
                asyncio.get_running_loop().call_soon(held.flush)
