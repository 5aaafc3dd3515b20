"""How uvicorn serves hfgate: the limits that keep slow, idle or too many clients from holding it.

uvicorn bounds idle keep-alive connections (``timeout_keep_alive``) and, with ``limit_concurrency``,
how many connections and requests it takes at once (beyond that it answers 503 at once), but nothing
bounds how long a client may take to send a request's *headers*: a slow-loris client sending one byte
every few seconds holds a connection and its memory forever. :class:`HeaderDeadlineProtocol` closes a
connection whose request line and headers are not complete within ``header_timeout_seconds``
(answering 408 first); the body has its own deadline in :class:`hfgate.api.gateway.BodyLimit`.
The same protocol holds each response's head for the body's first part, so that a whole response is one
write (:mod:`hfgate.process.one_write`). It overrides only asyncio's protocol interface and the
parser's callbacks; once the replica drains, each answer closes its connection by its own
``Connection: close`` header (:class:`hfgate.api.gateway.Gateway`, :mod:`hfgate.process.drain`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import time
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors.multiprocess import Multiprocess

from hfgate.config import Settings
from hfgate.process import drain
from hfgate.process.one_write import OneWriteTransport

log = logging.getLogger("hfgate.serving")

_TOO_SLOW = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: 52\r\n\r\nrequest headers not received in time; send them whole"  # noqa: E501


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus a deadline from a request's first byte (or the connection's
    opening) to the end of its headers, and a whole response in one write."""

    header_timeout: ClassVar[float] = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(OneWriteTransport(transport, self.loop))  # type: ignore[arg-type]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        log.info("headers too slow", extra={"event": "connection.too_slow", "client": str(self.client)})
        self.transport.write(_TOO_SLOW)
        self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run``/``uvicorn.Config`` that apply ``settings``' limits.

    Example:
        >>> sorted(uvicorn_options(Settings(data_dir=Path("/tmp/x"))))
        ['http', 'limit_concurrency', 'timeout_graceful_shutdown', 'timeout_keep_alive']
    """
    apply(settings)
    return {
        "http": HeaderDeadlineProtocol,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.max_connections,
        # uvicorn's wait for in-flight work, from when it stops accepting: the drain's, plus time for the
        # streams ended at its deadline to say so (hfgate.process.drain)
        "timeout_graceful_shutdown": math.ceil(settings.drain_seconds + drain.WRAP_UP_SECONDS),
    }


def apply(settings: Settings) -> None:
    """Set the header deadline of this process (worker processes call it from the app factory)."""
    HeaderDeadlineProtocol.header_timeout = settings.header_timeout_seconds


class DrainingSupervisor(Multiprocess):
    """uvicorn's supervisor of ``--workers``, closing its own copy of the listening socket once the drain
    delay is over: with it open, new connections would wait in the kernel's queue (and then be reset)
    instead of being refused, after every worker stopped accepting."""

    def __init__(self, config: uvicorn.Config, *, sockets: list[socket.socket], delay: float) -> None:
        super().__init__(config, sockets=sockets)
        self.delay = delay

    def join_all(self) -> None:
        time.sleep(self.delay)  # the workers drain, and accept meanwhile (hfgate.process.drain)
        for sock in self.sockets:
            sock.close()
        super().join_all()


def run_workers(app: str, *, workers: int, host: str, port: int, settings: Settings) -> None:
    """``uvicorn.run(app, factory=True, workers=workers, …)``, with the supervisor above."""
    config = uvicorn.Config(
        app, factory=True, workers=workers, host=host, port=port, log_level="warning", access_log=False,
        **uvicorn_options(settings),
    )  # fmt: skip
    DrainingSupervisor(config, sockets=[config.bind_socket()], delay=settings.drain_delay_seconds).run()
