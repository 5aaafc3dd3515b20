"""THE REFERENCE: a bare aiohttp + orjson forwarder, the least a gateway can do on this stack.

Not part of hfgate. ``bench/gateway_wrk_bench.py`` runs it next to hfgate, in front of the same
TEI-shaped upstream, to show what the hardware and the Python stack allow. It does what any gateway
must per request and nothing more: check a bearer key, route by path, translate the face's body to
TEI's (``{"inputs": [...]}``), forward over a pooled connection, and translate the answer back.
No validation beyond what the translation needs, no limits, no logs, no metrics.

Run: ``python bench/support/bare_forwarder.py PORT UPSTREAM_URL KEY`` (UPSTREAM_URL ends with ``/``).
"""

from __future__ import annotations

import sys

import aiohttp
import orjson
from aiohttp import web

JSON = "application/json"


class Forwarder:
    def __init__(self, upstream: str, key: str) -> None:
        self.upstream = upstream
        self.bearer = f"Bearer {key}"
        self.session: aiohttp.ClientSession | None = None

    async def start(self, _: web.Application) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def stop(self, _: web.Application) -> None:
        if self.session is not None:
            await self.session.close()

    def allowed(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == self.bearer

    async def vectors(self, texts: list[str]) -> list[list[float]]:
        assert self.session is not None
        body = orjson.dumps({"inputs": texts})
        async with self.session.post(self.upstream, data=body, headers={"Content-Type": JSON}) as answer:
            return orjson.loads(await answer.read())  # type: ignore[no-any-return]

    async def openai(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/embeddings`` in OpenAI's shape."""
        if not self.allowed(request):
            return web.Response(status=401, body=b'{"error":{"message":"bad key"}}', content_type=JSON)
        body = orjson.loads(await request.read())
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        vectors = await self.vectors(texts)
        data = [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)]
        usage = {"prompt_tokens": 0, "total_tokens": 0}
        answer = {"object": "list", "data": data, "model": body["model"], "usage": usage}
        return web.Response(body=orjson.dumps(answer), content_type=JSON)

    async def elasticsearch(self, request: web.Request) -> web.StreamResponse:
        """``POST /_inference/text_embedding/{id}`` in Elasticsearch's shape."""
        if not self.allowed(request):
            return web.Response(status=401, body=b'{"error":{"reason":"bad key"}}', content_type=JSON)
        body = orjson.loads(await request.read())
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        vectors = await self.vectors(texts)
        answer = {"text_embedding": [{"embedding": v} for v in vectors]}
        return web.Response(body=orjson.dumps(answer), content_type=JSON)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/chat/completions``: the body and the (streamed) answer passed through."""
        assert self.session is not None
        if not self.allowed(request):
            return web.Response(status=401, body=b'{"error":{"message":"bad key"}}', content_type=JSON)
        url = self.upstream + "v1/chat/completions"
        async with self.session.post(url, data=await request.read(), headers={"Content-Type": JSON}) as answer:
            response = web.StreamResponse(headers={"Content-Type": answer.headers["Content-Type"]})
            await response.prepare(request)
            async for chunk in answer.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response


def main() -> None:
    port, upstream, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    forwarder = Forwarder(upstream, key)
    app = web.Application()
    app.on_startup.append(forwarder.start)
    app.on_cleanup.append(forwarder.stop)
    app.router.add_post("/v1/embeddings", forwarder.openai)
    app.router.add_post("/_inference/text_embedding/{inference_id}", forwarder.elasticsearch)
    app.router.add_post("/v1/chat/completions", forwarder.chat)
    app.router.add_get("/health", lambda _: web.Response(text="ok"))
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
