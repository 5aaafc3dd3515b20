"""vLLM's OpenAI-compatible server (``engine: vllm``).

It checks ``model`` against the names it serves (404 ``NotFoundError`` otherwise), has no
``/generate``, and reranks over ``/rerank`` in the Cohere / Jina shape (vLLM
``docs/serving/online_serving/README.md``, ``vllm/entrypoints/openai/models/serving.py``).
"""

from __future__ import annotations

from typing import ClassVar

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import DocumentsRerank, OpenAIChat, OpenAICompletions, OpenAIEmbeddings


class VllmRerank(DocumentsRerank):
    route: ClassVar[str] = "/rerank"


NAME = "vllm"
OWNED_BY = ("vllm",)
PROTOCOLS: dict[Kind, Protocol] = {
    "generate": OpenAICompletions(),
    "chat": OpenAIChat(),
    "embed": OpenAIEmbeddings(),
    "rerank": VllmRerank(),
}
