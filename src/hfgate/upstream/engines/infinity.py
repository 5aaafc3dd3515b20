"""infinity (``engine: infinity``, michaelfeil/infinity): OpenAI-shaped ``/embeddings`` and a Cohere-shaped
``/rerank`` at the server's root, listed by ``/models`` with ``owned_by: "infinity"`` (seen on
infinity-emb 0.0.78, whose routes have no ``/v1`` unless it is started with ``--url-prefix``).

Seen on 0.0.78: it truncates an input past the model's window by itself; it answers for the one model
it serves whatever ``model`` names; its ``usage.prompt_tokens`` counts characters, not tokens (hfgate
counts with the model's tokenizer instead).
"""

from __future__ import annotations

from typing import ClassVar

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import DocumentsRerank, OpenAIEmbeddings


class InfinityEmbeddings(OpenAIEmbeddings):
    route: ClassVar[str] = "/embeddings"


class InfinityRerank(DocumentsRerank):
    route: ClassVar[str] = "/rerank"


NAME = "infinity"
OWNED_BY = ("infinity",)
PROTOCOLS: dict[Kind, Protocol] = {"embed": InfinityEmbeddings(), "rerank": InfinityRerank()}
