"""The fake Hugging Face server, with chat streams that take their time: one chunk every
``chunk_seconds``, as many chunks as the request's ``max_tokens`` (a stream outliving a drain)."""

from __future__ import annotations

import asyncio
import time

import orjson
from aiohttp import web

from tests.fakes.hf_server import FakeHF

STREAMED_CHAT = "/tgi/v1/chat/completions"


class SlowChatHF(FakeHF):
    """:class:`FakeHF` whose TGI streams its chat answers slowly; every other route is FakeHF's."""

    def __init__(self, *, chunk_seconds: float) -> None:
        super().__init__()
        self.chunk_seconds = chunk_seconds
        self.streams_started = 0

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.path == STREAMED_CHAT and request.method == "POST":
            body = orjson.loads(await request.read())
            if body.get("stream"):
                return await self._slow_stream(request, chunks=int(body.get("max_tokens") or 4))
        return await super()._dispatch(request)

    async def _slow_stream(self, request: web.Request, *, chunks: int) -> web.StreamResponse:
        self.streams_started += 1
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-slow", "created": int(time.time()), "model": "tgi", "object": "chat.completion.chunk"}
        for index in range(chunks):
            await asyncio.sleep(self.chunk_seconds)
            last = index == chunks - 1
            choice = {"index": 0, "delta": {"content": f" t{index}"}, "finish_reason": "length" if last else None}
            await response.write(b"data: " + orjson.dumps(base | {"choices": [choice]}) + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
