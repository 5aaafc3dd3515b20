"""A whole response in one socket write: uvicorn's response head held back until the body's first bytes.

uvicorn's httptools protocol writes a response's status line and headers as soon as the app sends
``http.response.start``, and the body with the next message: two ``send()`` calls per answer. Over
loopback the first write alone wakes the client and runs the TCP stack for a segment of ~200 bytes,
a tenth of hfgate's CPU per request under load (docs/benchmarks/gateway.md); aiohttp's server (the bare
forwarder) sends both together.

:class:`OneWriteTransport` stands between the protocol and the connection's transport (given to it in
``connection_made``, asyncio's protocol interface; nothing of uvicorn's own is reached). It holds a
response's head (a write that starts with the status line) and sends it with the next write, the body's
first part, at once; a head that nothing follows within the event loop's turn (a stream whose first
event is not ready, ``HEAD``, an app that stops after its head) is sent alone at the end of that turn,
and before the connection closes. So a slow first event never holds the head back, and nothing is held
after the response's body is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


class OneWriteTransport:
    """A connection's transport that holds a response's head until the next write (its body's first part),
    or until the end of the event loop's turn."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._head: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._head is not None:
            data, self._head = b"".join((self._head, data)), None
        elif data[: len(_STATUS_LINE)] == _STATUS_LINE:  # a response's head: uvicorn writes it in one piece
            self._head = bytes(data)
            self._loop.call_soon(self.flush)
            return
        self.transport.write(data)

    def writelines(self, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Send a head still held (nothing when its body's first part took it already)."""
        if self._head is not None:
            head, self._head = self._head, None
            self.transport.write(head)

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, abort…
        return getattr(self.transport, name)


_STATUS_LINE = b"HTTP/1.1 "
