"""infinity (``engine: infinity``, michaelfeil/infinity): OpenAI-shaped ``/embeddings`` and a Cohere-shaped
``/rerank`` at the server's root, listed by ``/models`` with ``owned_by: "infinity"`` (seen on
infinity-emb 0.0.78, whose routes have no ``/v1`` unless it is started with ``--url-prefix``).

Seen on 0.0.78: it truncates an input past the model's window by itself; it answers for the one model
it serves whatever ``model`` names; its ``usage.prompt_tokens`` counts characters, not tokens (hfgate
counts with the model's tokenizer instead).

Images (an image-and-text model: its ``config.json`` has a ``vision_config``, and ``/models`` lists the
capability ``image_embed``) go to the same ``/embeddings`` with ``"modality": "image"`` and data URIs as
``input`` (0.0.78 ``fastapi_schemas/pymodels.py`` ``OpenAIEmbeddingInput_Image``); one request carries
images or texts, never both (a mixed list is a 422).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from hfgate.images import ImageInput, as_data_uri
from hfgate.upstream.engines.base import Address, ImageEmbedProtocol, Kind, Protocol, Vectors
from hfgate.upstream.engines.openai import DocumentsRerank, OpenAIEmbeddings
from hfgate.upstream.wire.embeddings import parse_embeddings


class InfinityEmbeddings(OpenAIEmbeddings):
    route: ClassVar[str] = "/embeddings"


class InfinityImages(ImageEmbedProtocol):
    def url(self, at: Address) -> str:
        return at.at("/embeddings")

    def payload(self, at: Address, images: Sequence[ImageInput]) -> dict[str, Any]:
        body: dict[str, Any] = {"input": [as_data_uri(image) for image in images], "modality": "image"}
        return body | {"model": at.model} if at.model else body

    def parse(self, body: Any, *, count: int) -> Vectors:
        return parse_embeddings(body, count=count)


class InfinityRerank(DocumentsRerank):
    route: ClassVar[str] = "/rerank"


NAME = "infinity"
OWNED_BY = ("infinity",)
PROTOCOLS: dict[Kind, Protocol] = {
    "embed": InfinityEmbeddings(),
    "image_embed": InfinityImages(),
    "rerank": InfinityRerank(),
}
