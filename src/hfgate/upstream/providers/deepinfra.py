"""DeepInfra's embeddings route, ``{router}/deepinfra/v1/openai/embeddings`` (huggingface_hub
``inference/_providers/deepinfra.py``)."""

from __future__ import annotations

from typing import ClassVar

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import OpenAIEmbeddings


class DeepInfraEmbeddings(OpenAIEmbeddings):
    route: ClassVar[str] = "/v1/openai/embeddings"


NAME = "deepinfra"
PROTOCOLS: dict[Kind, Protocol] = {"embed": DeepInfraEmbeddings()}
