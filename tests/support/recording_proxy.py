"""A pass-through HTTP proxy that keeps every request it forwards: what an agent CLI really sends.

The agent tests point a CLI at the proxy, the proxy at a live hfgate; the answers (streams too) pass
back unchanged, and :attr:`RecordingProxy.seen` holds each request's method, path, headers and JSON body,
for the recorded first requests in ``tests/clients/agent_requests/``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
from aiohttp import web

from tests.fakes.hf_server import Recorded
from tests.fakes.threaded_server import ThreadedServer

_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection", "accept-encoding"})


class RecordingProxy(ThreadedServer):
    thread_name = "recording-proxy"
    client_max_size = 64 * 1024**2

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target.rstrip("/")
        self.seen: list[Recorded] = []

    def first(self, method: str, path: str) -> Recorded:
        """The first request of ``method`` on ``path`` (``AssertionError`` when none came)."""
        found = [s for s in self.seen if s.method == method and s.path == path]
        assert found, f"no {method} {path} among {[(s.method, s.path) for s in self.seen]}"
        return found[0]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in _HOP}
        self.seen.append(Recorded(request.method, request.path, headers, body))
        timeout = aiohttp.ClientTimeout(total=600)
        async with (
            aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session,
            session.request(request.method, self.target + request.path_qs, headers=headers, data=raw) as upstream,
        ):
            reply = web.StreamResponse(
                status=upstream.status,
                headers={k: v for k, v in upstream.headers.items() if k.lower() not in _HOP},
            )
            await reply.prepare(request)
            async for chunk in upstream.content.iter_any():
                await reply.write(chunk)
            await reply.write_eof()
            return reply
