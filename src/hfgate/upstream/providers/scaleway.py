"""Scaleway's embeddings route, ``{router}/scaleway/v1/embeddings`` (huggingface_hub
``inference/_providers/scaleway.py``)."""

from __future__ import annotations

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import OpenAIEmbeddings

NAME = "scaleway"
PROTOCOLS: dict[Kind, Protocol] = {"embed": OpenAIEmbeddings()}
