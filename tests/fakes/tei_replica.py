"""One replica of a TEI embedding deployment, as a separate process that a test can SIGKILL.

``python -m tests.fakes.tei_replica PORT [STATUS]`` serves ``POST /`` (TEI's embed, vectors from
:func:`tests.fakes.hf_server.vector_for`) on 127.0.0.1:PORT, or answers every embed with STATUS (e.g.
503) when given. ``GET /_hits`` tells how many embed requests it received.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
from aiohttp import web

from tests.fakes.hf_server import TOKEN, vector_for


def serve(port: int, status: int) -> None:
    hits = 0

    async def embed(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "Invalid credentials"}, status=401)
        if status != 200:
            return web.json_response({"error": "Service Unavailable", "error_type": "overloaded"}, status=status)
        body: Any = await request.json()
        return web.json_response([vector_for(text) for text in body["inputs"]])

    async def count(_: web.Request) -> web.Response:
        return web.json_response({"hits": hits})

    app = web.Application()
    app.router.add_post("/", embed)
    app.router.add_get("/_hits", count)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class Replica:
    """A running replica process; ``kill()`` sends SIGKILL."""

    def __init__(self, port: int, status: int = 200) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._process = subprocess.Popen([sys.executable, "-m", "tests.fakes.tei_replica", str(port), str(status)])
        self._wait_up()

    def hits(self) -> int:
        count: int = httpx.get(f"{self.url}/_hits", timeout=5).json()["hits"]
        return count

    def kill(self) -> None:
        if self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait(10)

    def _wait_up(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.hits()
                return
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the TEI replica at {self.url} did not start")


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200)
