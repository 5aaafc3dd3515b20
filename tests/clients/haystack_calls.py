"""Drives Haystack's Hugging Face components (``huggingface-api-haystack`` on ``haystack-ai``) against a
live hfgate: the TEI text and document embedders, the TEI ranker (on a host of its own, see
``HFGATE_HOST_ENDPOINTS``) and the TGI chat generator; prints the answers as JSON for
tests/clients/test_haystack.py.

Usage: python haystack_calls.py HFGATE_URL RANKER_URL
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from typing import Any

from haystack import Document
from haystack.dataclasses import ChatMessage
from haystack_integrations.components.embedders.huggingface_api import (
    HuggingFaceAPIDocumentEmbedder,
    HuggingFaceAPITextEmbedder,
)
from haystack_integrations.components.generators.huggingface_api import HuggingFaceAPIChatGenerator
from haystack_integrations.components.rankers.huggingface_api import HuggingFaceTEIRanker

TEI = "text_embeddings_inference"


def main(gate: str, ranker_url: str) -> dict[str, Any]:
    embedder_url = {"url": f"{gate}/hf/.all-minilm-l6-v2"}
    text = HuggingFaceAPITextEmbedder(api_type=TEI, api_params=embedder_url).run(text="a cat")
    documents = [Document(content="a cat"), Document(content="a dog")]
    embedded = HuggingFaceAPIDocumentEmbedder(api_type=TEI, api_params=embedder_url).run(documents=documents)
    ranked = HuggingFaceTEIRanker(url=ranker_url, top_k=2, timeout=120).run(
        query="big cat", documents=[Document(content="dog"), Document(content="big cat")]
    )
    generator = HuggingFaceAPIChatGenerator(
        api_type="text_generation_inference",
        api_params={"url": f"{gate}/hf/.smollm2-135m-instruct"},
        generation_kwargs={"max_tokens": 8, "temperature": 0},
    )
    replies = generator.run(messages=[ChatMessage.from_user("What is the capital of France?")])["replies"]
    return {
        "versions": {name: version(name) for name in ("haystack-ai", "huggingface-api-haystack")},
        "text_embedding": text["embedding"],
        "document_embeddings": [d.embedding for d in embedded["documents"]],
        "ranked": [(d.content, d.score) for d in ranked["documents"]],
        "reply": replies[0].text,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
