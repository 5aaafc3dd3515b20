"""Slow-loris clients on hfgate itself: headers and bodies that never finish are cut, others unharmed.

hfgate is served as ``hfgate serve`` serves it (``hfgate.process.serve.uvicorn_options``), with short limits.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from hfgate.api.app import create_app
from hfgate.config import Settings
from hfgate.process.serve import uvicorn_options
from tests.support.live_server import serve_app

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("slow"), provision_defaults=False, log_format="text", log_level="error",
        header_timeout_seconds=1.0, body_timeout_seconds=1.0, keep_alive_seconds=1,
    )  # fmt: skip
    with serve_app(create_app(settings), **uvicorn_options(settings)) as base:
        yield base


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _trickle(sock: socket.socket, data: bytes, *, every: float, for_at_most: float) -> bytes:
    """Send ``data`` a byte at a time; the server's answer (or b"" if it closed without one)."""
    stop = time.monotonic() + for_at_most
    for byte in data:
        if time.monotonic() > stop:
            break
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(every)
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def test_headers_sent_too_slowly_get_408_and_the_connection_closed(url: str) -> None:
    started = time.monotonic()
    with _connect(url) as sock:
        answer = _trickle(sock, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200, every=0.1, for_at_most=4)
        assert answer.startswith(b"HTTP/1.1 408")
        assert sock.recv(10) == b""  # closed
    assert time.monotonic() - started < 4


def test_a_connection_that_sends_nothing_is_closed(url: str) -> None:
    with _connect(url) as sock:
        sock.settimeout(5)
        assert sock.recv(100).startswith(b"HTTP/1.1 408")


def test_a_body_sent_too_slowly_gets_408(url: str) -> None:
    head = (
        b"POST /_inference/_chunk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
    )
    with _connect(url) as sock:
        sock.sendall(head)
        answer = _trickle(sock, b'{"input": "' + b"a" * 380 + b'"}', every=0.1, for_at_most=3)
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"HFGATE_BODY_TIMEOUT_SECONDS" in answer


def test_ordinary_clients_are_served_while_slow_ones_wait(url: str) -> None:
    slow = [_connect(url) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(b"GET /health HTTP/1.1\r\n")
        with httpx.Client(base_url=url) as http:
            assert http.get("/health").status_code == 200
    finally:
        for sock in slow:
            sock.close()


def test_an_idle_keep_alive_connection_is_closed_after_keep_alive_seconds(url: str) -> None:
    with _connect(url) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.settimeout(5)
        started = time.monotonic()
        assert sock.recv(10) == b""
        assert time.monotonic() - started < 3
