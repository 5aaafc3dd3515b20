"""A real hfgate server on 127.0.0.1 (uvicorn in a thread), for tests that need real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from hfgate.api.app import create_app
from hfgate.config import Settings
from hfgate.services import ServiceContext

_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on, never one this process has handed out before.

    The kernel may give the same ephemeral port to two ``bind(0)`` calls in a row once the first socket
    is closed; two servers started together (the engine fleet's two vLLM replicas) then both got it, and
    one failed to bind while the other answered for both (a CI failure: "lists the same url twice").
    """
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


@contextmanager
def live_server(settings: Settings, *, context: ServiceContext | None = None) -> Iterator[str]:
    """Serve hfgate until the block ends; yields its base URL."""
    with serve_app(create_app(settings, context=context)) as url:
        yield url


@contextmanager
def serve_app(app: ASGIApp, **options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn (``options`` are uvicorn.Config's) until the block ends; yields its URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, thread)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _wait_healthy(url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the test server stopped during start-up")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the test server did not become healthy within 60 s")
