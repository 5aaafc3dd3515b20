"""Graceful drain: what a replica does between SIGTERM (or SIGINT) and its exit.

1. At once, ``GET /ready`` answers 503 ``{"status": "draining"}`` (a load balancer's readiness probe
   takes the replica out), and every answer from now on closes its connection (``Connection: close``),
   so that clients open their next connection elsewhere instead of reusing this one.
2. For ``HFGATE_DRAIN_DELAY_SECONDS`` the replica goes on accepting and serving new connections: a load
   balancer needs a probe or two to notice.
3. Then uvicorn's own shutdown runs: the listening socket closes (new connections are refused), idle
   connections close, and in-flight requests and open streams go on.
4. ``HFGATE_DRAIN_SECONDS`` later, streams still open end with one error event in their face's shape
   (:func:`hfgate.api.sse.event_stream`) and a well-formed end of the response, not a cut socket;
   requests not answered yet get a 503 in their face's shape (:class:`hfgate.api.gateway.Gateway`).
5. The app's shutdown writes the usage not yet written, and the process exits 0.

A second SIGINT (Ctrl+C twice) quits at once, without waiting for in-flight work nor writing usage.
The drain hooks into the uvicorn server that runs the app (its signal handler), so it applies to
``hfgate serve`` with any ``--workers`` and to any ``uvicorn`` run of
:func:`hfgate.api.app.create_app` in a main thread; a server in another thread (tests) is left alone.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

log = logging.getLogger("hfgate.drain")

# Time left after the drain deadline to what it ended, for its answer or last event; uvicorn then cancels
# whatever still runs (uvicorn's timeout_graceful_shutdown is HFGATE_DRAIN_SECONDS plus this).
WRAP_UP_SECONDS = 5.0
_SIGNALS = (signal.SIGTERM, signal.SIGINT)
DEADLINE_PASSED = "This replica is shutting down and its drain deadline (HFGATE_DRAIN_SECONDS) passed"


@dataclass(slots=True, eq=False)  # eq=False: hashed by identity, in the drain's set
class InFlight:
    """A request or a stream in progress, as the drain sees it (:class:`hfgate.api.gateway.Gateway`,
    :func:`hfgate.api.sse.event_stream`)."""

    task: asyncio.Task[Any]
    waiting: bool = False  # for its answer, or a stream's next event: the deadline cancels the wait
    ended: bool = False  # by the drain's deadline: the answer, or the stream's last event, is to say so


class Drain:
    """This process's drain: whether it began, and the requests and streams to end at its deadline.

    Each marks whether it awaits its answer or its next event: two attribute writes per event, where an
    ``asyncio.timeout`` around each wait would cost far more on the hot path (docs/benchmarks/gateway.md).
    """

    def __init__(self) -> None:
        self.draining = False
        self.deadline_passed = False
        self._flights: set[InFlight] = set()
        self._task: asyncio.Task[None] | None = None  # held, so that the drain is not collected

    def enter(self, *, waiting: bool) -> InFlight:
        """Register the current task's request or stream, until :meth:`leave`."""
        flight = InFlight(asyncio.current_task() or _no_task(), waiting=waiting, ended=self.deadline_passed)
        self._flights.add(flight)
        return flight

    def leave(self, flight: InFlight) -> None:
        self._flights.discard(flight)

    def begin(self, *, delay: float, seconds: float, server: Any) -> None:
        """Start draining ``server`` (a ``uvicorn.Server``), from the event loop's thread."""
        self.draining = True
        self._task = asyncio.create_task(self._run(delay=delay, seconds=seconds, server=server))

    async def _run(self, *, delay: float, seconds: float, server: Any) -> None:
        log.warning("draining", extra={"event": "drain.begin", "delay_s": delay, "drain_s": seconds})
        await asyncio.sleep(delay)
        # Setting the flag, rather than calling uvicorn's handler, keeps uvicorn from raising the signal
        # again once it has shut down: the process then exits 0, not 143.
        server.should_exit = True
        log.warning("no longer accepting connections", extra={"event": "drain.stop_accepting"})
        await asyncio.sleep(seconds)
        log.warning("drain deadline", extra={"event": "drain.deadline", "in_flight": len(self._flights)})
        self.deadline_passed = True
        for flight in list(self._flights):
            flight.ended = True
            if flight.waiting:
                flight.task.cancel()  # caught where it was registered: it answers why, and ends


def _no_task() -> asyncio.Task[Any]:
    raise RuntimeError("enter() must be called from a task")


PROCESS = Drain()  # signals are per process, and so is the drain


@contextmanager
def on_signals(*, delay: float, seconds: float) -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT drain this process instead of stopping it at once.

    Only under a uvicorn server in this main thread (its handler is the one replaced); elsewhere nothing
    changes. Must be entered in the event loop's thread.
    """
    server = _uvicorn_server()
    if server is None:
        yield
        return
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}

    def handle(sig: int, frame: FrameType | None) -> None:
        if not PROCESS.draining:
            PROCESS.draining = True  # /ready answers 503 from the next request on
            loop.call_soon_threadsafe(lambda: PROCESS.begin(delay=delay, seconds=seconds, server=server))
        elif sig == signal.SIGINT:  # Ctrl+C again: quit now, without waiting for in-flight work
            server.should_exit = server.force_exit = True

    for sig in _SIGNALS:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _uvicorn_server() -> Any:
    """The uvicorn server whose signal handler is installed, if this is the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None
    from uvicorn import Server

    handler = signal.getsignal(signal.SIGTERM)
    owner = getattr(handler, "__self__", None)
    return owner if isinstance(owner, Server) else None
