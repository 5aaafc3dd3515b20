"""llama.cpp's ``llama-server`` (``engine: llamacpp``): the OpenAI routes and ``/v1/rerank``; one model,
whose name it ignores in single-model mode (ggml-org/llama.cpp ``tools/server/README.md``)."""

from __future__ import annotations

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import DocumentsRerank, OpenAIChat, OpenAICompletions, OpenAIEmbeddings

NAME = "llamacpp"
OWNED_BY = ("llamacpp",)
PROTOCOLS: dict[Kind, Protocol] = {
    "generate": OpenAICompletions(),
    "chat": OpenAIChat(),
    "embed": OpenAIEmbeddings(),
    "rerank": DocumentsRerank(),
}
