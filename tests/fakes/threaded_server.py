"""An aiohttp server on 127.0.0.1, on a free port, in a thread of its own: what the fakes have in common.

A fake subclasses :class:`ThreadedServer` and implements ``_dispatch`` (every method and path comes
there); :meth:`~ThreadedServer.start` returns ``base`` (``http://127.0.0.1:<port>``) once it listens.
"""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar

from aiohttp import web


class ThreadedServer:
    """Start with :meth:`start`, stop with :meth:`stop`."""

    thread_name: ClassVar[str] = "fake-server"
    client_max_size: ClassVar[int] = 1024**2  # aiohttp's default

    def __init__(self) -> None:
        self.base = ""
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True, name=self.thread_name)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"the {self.thread_name} server did not start")
        return self.base

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = self._runner = None  # stopped: a second stop (a test's, then its fixture's) does nothing

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application(client_max_size=self.client_max_size)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{self.port}"
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()
