"""Together AI's embeddings route, ``{router}/together/v1/embeddings`` with Together's model id
(huggingface_hub ``inference/_providers/together.py``)."""

from __future__ import annotations

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import OpenAIEmbeddings

NAME = "together"
PROTOCOLS: dict[Kind, Protocol] = {"embed": OpenAIEmbeddings()}
