"""A real HTTP server on 127.0.0.1 that fails the ways real model servers and networks fail.

One aiohttp server in its own thread; each path prefix is one behaviour, and every request is
recorded with its ``Host`` header (so a test can tell whether hfgate followed a redirect elsewhere).
Where each behaviour comes from:

- ``/tei``: a TEI server's ``POST /`` (``{"inputs": [...]}`` → one vector per input), as recorded in
  /work/shared/reference (TEI's router: ``router/src/http/server.rs``, ``embed``).
- ``/tgi``: TGI's ``POST /`` with ``"stream": true``: ``data:{"token": …}`` events, the last carrying
  ``generated_text`` and ``details`` (TGI ``router/src/server.rs``, ``generate_stream``).
- ``/killed``: the same stream, cut after two tokens by closing the socket with no error event and no
  end of stream: what a client sees when TGI's process is OOM-killed or a pod is evicted mid-stream.
- ``/closed``: the same stream, ended after two tokens by closing the socket cleanly (FIN, a well-formed
  end of the chunked body) with no last event: what a vLLM 0.32.0 (cpu) SIGKILLed mid-stream was seen to
  do (tests/engines/test_failover.py; the kernel closes a killed process's sockets with FIN).
- ``/hang``: accepts the request and never answers (a wedged server, a black-holing proxy).
- ``/truncated``: promises ``Content-Length: 4096``, sends 10 bytes and closes (a proxy dropping an
  upstream mid-body).
- ``/html``: ``200 text/html`` from a captive portal or a misrouted load balancer, not JSON.
- ``/redirect-away``: ``307`` to the same path on ``localhost`` (another host by name, same machine).
- ``/redirect-home``: ``307`` to ``/tei`` on the same host and port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiohttp import web

from tests.fakes.threaded_server import ThreadedServer

DIMENSIONS = 4


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    host: str
    body: Any


class HostileUpstream(ThreadedServer):
    """Start with :meth:`start`, stop with :meth:`stop`; ``base`` is ``http://127.0.0.1:<port>``."""

    thread_name = "hostile-upstream"

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[Hit] = []
        self.hanging = 0  # requests of /hang still held open

    def paths(self, prefix: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path.startswith(prefix)]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = orjson.loads(raw) if raw[:1] in (b"{", b"[") else None
        self.hits.append(Hit(request.path, request.host, body))
        behaviour = request.path.strip("/").split("/")[0]
        handler = getattr(self, f"_{behaviour.replace('-', '_')}", None)
        if handler is None:
            return web.json_response({"error": f"no behaviour [{behaviour}]"}, status=404)
        answer: web.StreamResponse = await handler(request, body)
        return answer

    async def _tei(self, request: web.Request, body: Any) -> web.StreamResponse:
        inputs = body["inputs"] if isinstance(body, dict) else []
        texts = [inputs] if isinstance(inputs, str) else inputs
        return web.json_response([[0.5] * DIMENSIONS for _ in texts])

    async def _tgi(self, request: web.Request, body: Any) -> web.StreamResponse:
        return await self._stream(request, tokens=["Hello", " there", "!"], cut_after=None)

    async def _killed(self, request: web.Request, body: Any) -> web.StreamResponse:
        return await self._stream(request, tokens=["Hello", " there", "!"], cut_after=2)

    async def _closed(self, request: web.Request, body: Any) -> web.StreamResponse:
        return await self._stream(request, tokens=["Hello", " there", "!"], cut_after=2, cleanly=True)

    async def _stream(
        self, request: web.Request, *, tokens: list[str], cut_after: int | None, cleanly: bool = False
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for index, text in enumerate(tokens):
            if index == cut_after and cleanly:
                break  # the end of the body, as if the answer were whole
            if index == cut_after:
                assert request.transport is not None
                request.transport.abort()  # no error event, no end of stream: the process died
                return response
            last = index == len(tokens) - 1
            event = {
                "index": index + 1,
                "token": {"id": index, "text": text, "logprob": -0.1, "special": False},
                "generated_text": "".join(tokens) if last else None,
                "details": {"finish_reason": "eos_token", "generated_tokens": len(tokens), "seed": None}
                if last
                else None,
            }
            await response.write(b"data:" + orjson.dumps(event) + b"\n\n")
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    async def _hang(self, request: web.Request, body: Any) -> web.StreamResponse:
        self.hanging += 1
        try:
            await asyncio.get_running_loop().create_future()  # never set: only cancellation ends it
        finally:
            self.hanging -= 1  # the client hung up (aiohttp cancels the handler) or the server stops
        return web.Response(status=204)

    async def _truncated(self, request: web.Request, body: Any) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": "4096"})
        await response.prepare(request)
        await response.write(b"[[0.1, 0.2")
        assert request.transport is not None
        request.transport.abort()
        return response

    async def _html(self, request: web.Request, body: Any) -> web.StreamResponse:
        return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")

    async def _redirect_away(self, request: web.Request, body: Any) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect(f"http://localhost:{self.port}/tei/")

    async def _redirect_home(self, request: web.Request, body: Any) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect("/tei/")


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileUpstream]:
    """A :class:`HostileUpstream` on 127.0.0.1 for a test module (import it into the module to use it)."""
    server = HostileUpstream()
    server.start()
    try:
        yield server
    finally:
        server.stop()
