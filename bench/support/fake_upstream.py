"""A fast TEI-shaped upstream for bench/gateway_wrk_bench.py: aiohttp + orjson on uvloop.

``POST /`` answers TEI's ``[[f]]`` (one 384-d vector of 8-digit numbers per input), ``/v1/embeddings``
OpenAI's shape, ``/v1/chat/completions`` a whole answer or a stream (first event at once, the rest 5 ms
later), ``GET /info`` TEI's info. Run: ``python bench/support/fake_upstream.py PORT``.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from typing import Any

import orjson
import uvloop
from aiohttp import web

random.seed(7)
VECTOR = [round(random.uniform(-0.1, 0.1), 8) for _ in range(384)]  # 8 digits, as TEI's float32 answers


async def tei(request: web.Request) -> web.Response:
    body = orjson.loads(await request.read())
    return web.Response(body=orjson.dumps([VECTOR] * len(body["inputs"])), content_type="application/json")


async def openai(request: web.Request) -> web.Response:
    body = orjson.loads(await request.read())
    texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
    data = [{"object": "embedding", "embedding": VECTOR, "index": i} for i in range(len(texts))]
    usage = {"prompt_tokens": 6, "total_tokens": 6}
    return web.Response(
        body=orjson.dumps({"object": "list", "data": data, "model": body["model"], "usage": usage}),
        content_type="application/json",
    )


def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "bench",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


async def chat(request: web.Request) -> web.StreamResponse:
    body = orjson.loads(await request.read())
    if not body.get("stream"):
        message = {"role": "assistant", "content": "Hello there"}
        answer = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "bench",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        }
        return web.Response(body=orjson.dumps(answer), content_type="application/json")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"data: " + orjson.dumps(chunk({"role": "assistant", "content": "Hello"})) + b"\n\n")
    await asyncio.sleep(0.005)  # the rest later, so that the first event's time is measured alone
    for word in (" there", ",", " friend"):
        await response.write(b"data: " + orjson.dumps(chunk({"content": word})) + b"\n\n")
    await response.write(b"data: " + orjson.dumps(chunk({}, "stop")) + b"\n\ndata: [DONE]\n\n")
    await response.write_eof()
    return response


async def info(request: web.Request) -> web.Response:
    return web.Response(
        body=orjson.dumps({"model_id": "bench/model", "model_type": {"embedding": {}}, "max_client_batch_size": 32}),
        content_type="application/json",
    )


def main() -> None:
    app = web.Application()
    app.router.add_post("/", tei)
    app.router.add_post("/embed", tei)  # where hfgate sends TEI embeddings once /info shows TEI
    app.router.add_post("/v1/embeddings", openai)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/info", info)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
