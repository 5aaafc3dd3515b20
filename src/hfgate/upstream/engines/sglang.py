"""SGLang's server (``engine: sglang``): the OpenAI routes and ``/v1/rerank``; flat error bodies
``{"object": "error", "message", …}`` (sgl-project/sglang ``python/sglang/srt/entrypoints/http_server.py``)."""

from __future__ import annotations

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import DocumentsRerank, OpenAIChat, OpenAICompletions, OpenAIEmbeddings

NAME = "sglang"
OWNED_BY = ("sglang",)
PROTOCOLS: dict[Kind, Protocol] = {
    "generate": OpenAICompletions(),
    "chat": OpenAIChat(),
    "embed": OpenAIEmbeddings(),
    "rerank": DocumentsRerank(),
}
