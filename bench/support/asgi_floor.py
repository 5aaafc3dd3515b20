"""THE FLOOR of hfgate's server stack: uvicorn (httptools, uvloop) + a bare ASGI app + the aiohttp upstream call.

Not part of hfgate. ``bench/gateway_wrk_bench.py`` runs it next to hfgate and the bare forwarder
(``bench/support/bare_forwarder.py``, aiohttp's own server): what a request costs on the stack hfgate runs on
(uvicorn's HTTP protocol, one ASGI call, an aiohttp client session to the upstream, orjson) before any
of hfgate's own work. Like the forwarder it checks a bearer key, translates OpenAI's embedding body to
TEI's and back, and passes a streamed chat through; no validation, limits, logs or metrics.

``--one-write`` serves it with hfgate's HTTP protocol (:class:`hfgate.process.serve.HeaderDeadlineProtocol`,
the response head sent with the body) instead of uvicorn's, to measure that alone.

Run: ``python bench/support/asgi_floor.py PORT UPSTREAM_URL KEY [--one-write]`` (UPSTREAM_URL ends with ``/``).
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import orjson
import uvicorn

JSON = [(b"content-type", b"application/json")]
Scope = dict[str, Any]


class Floor:
    def __init__(self, upstream: str, key: str) -> None:
        self.upstream = upstream
        self.bearer = f"Bearer {key}".encode()
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        path = scope["path"]
        if path == "/health":
            await self.answer(send, 200, b"ok")
            return
        if dict(scope["headers"]).get(b"authorization") != self.bearer:
            await self.answer(send, 401, b'{"error":{"message":"bad key"}}')
            return
        body = await read(receive)
        if path == "/v1/embeddings":
            await self.embeddings(send, orjson.loads(body))
        elif path == "/v1/chat/completions":
            await self.chat(send, body)
        else:
            await self.answer(send, 404, b'{"error":{"message":"no route"}}')

    async def embeddings(self, send: Any, body: dict[str, Any]) -> None:
        assert self.session is not None
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        payload = orjson.dumps({"inputs": texts})
        async with self.session.post(self.upstream, data=payload, headers={"Content-Type": "application/json"}) as up:
            vectors = orjson.loads(await up.read())
        data = [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)]
        answer = {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 0}}
        await self.answer(send, 200, orjson.dumps(answer))

    async def chat(self, send: Any, body: bytes) -> None:
        assert self.session is not None
        url = self.upstream + "v1/chat/completions"
        async with self.session.post(url, data=body, headers={"Content-Type": "application/json"}) as up:
            kind = up.headers["Content-Type"].encode()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", kind)]})
            async for chunk in up.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def answer(send: Any, status: int, body: bytes) -> None:
        headers = [*JSON, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def read(receive: Any) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


def main() -> None:
    port, upstream, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    http: Any = "httptools"
    if "--one-write" in sys.argv[4:]:
        from hfgate.process.serve import HeaderDeadlineProtocol

        http = HeaderDeadlineProtocol
    options: dict[str, Any] = {"loop": "uvloop", "log_level": "warning", "access_log": False}
    uvicorn.run(Floor(upstream, key), host="127.0.0.1", port=port, http=http, **options)


if __name__ == "__main__":
    main()
