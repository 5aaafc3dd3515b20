"""Rerank: TEI's ``/rerank`` for servers, the ``sentence-similarity`` pipeline for hosted models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfgate.upstream.wire.common import WireFormatError, as_dict

Scores = list[tuple[int, float]]


def rerank_url(url: str) -> str:
    """``{url}/rerank`` unless the url names the route already."""
    url = url.rstrip("/")
    return url if url.endswith("/rerank") else url + "/rerank"


def rerank_payload(query: str, documents: Sequence[str]) -> dict[str, Any]:
    """TEI's body; the texts are not asked back (hfgate has them), and long ones are truncated."""
    return {"query": query, "texts": list(documents), "truncate": True, "return_text": False}


def parse_rerank(body: Any) -> Scores:
    """``[{index, score, text?}]`` as ``(index, score)`` pairs.

    Raises:
        WireFormatError: not that shape.
    """
    if not isinstance(body, list):
        raise WireFormatError("expected a list of {index, score}")
    pairs = []
    for item in body:
        hit = as_dict(item, "a rerank hit")
        index, score = hit.get("index"), hit.get("score")
        if not isinstance(index, int) or not isinstance(score, int | float):
            raise WireFormatError("a rerank hit lacks an integer [index] or a numeric [score]")
        pairs.append((index, float(score)))
    return pairs


def similarity_payload(query: str, documents: Sequence[str]) -> dict[str, Any]:
    """The hosted ``sentence-similarity`` pipeline's body."""
    return {"inputs": {"source_sentence": query, "sentences": list(documents)}}


def parse_similarity(body: Any, *, count: int) -> Scores:
    """``[score, …]`` in document order, as ``(index, score)`` pairs.

    Raises:
        WireFormatError: not ``count`` numbers.
    """
    if not isinstance(body, list) or len(body) != count or not all(isinstance(s, int | float) for s in body):
        raise WireFormatError(f"expected [{count}] similarity scores")
    return [(index, float(score)) for index, score in enumerate(body)]


def documents_rerank_payload(model: str, query: str, documents: Sequence[str]) -> dict[str, Any]:
    """The Cohere / Jina body vLLM's ``/rerank`` and llama.cpp's ``/v1/rerank`` take (all documents back)."""
    body: dict[str, Any] = {"query": query, "documents": list(documents)}
    return body | {"model": model} if model else body


def parse_documents_rerank(body: Any) -> Scores:
    """``{"results": [{"index", "relevance_score"}]}`` as ``(index, score)`` pairs.

    Raises:
        WireFormatError: not that shape.

    Example:
        >>> parse_documents_rerank({"results": [{"index": 1, "relevance_score": 0.9}]})
        [(1, 0.9)]
    """
    results = as_dict(body, "the rerank answer").get("results")
    if not isinstance(results, list):
        raise WireFormatError("the rerank answer has no [results] list")
    pairs = []
    for item in results:
        hit = as_dict(item, "a rerank result")
        index, score = hit.get("index"), hit.get("relevance_score")
        if not isinstance(index, int) or not isinstance(score, int | float):
            raise WireFormatError("a rerank result lacks an integer [index] or a numeric [relevance_score]")
        pairs.append((index, float(score)))
    return pairs


def by_document(pairs: Scores, *, count: int) -> dict[int, float]:
    """``(index, score)`` pairs as each document's score by its index, in the order given.

    Raises:
        WireFormatError: an index outside the ``count`` documents sent, or one scored twice.

    Example:
        >>> by_document([(1, 0.9), (0, 0.2)], count=2)
        {1: 0.9, 0: 0.2}
    """
    scores: dict[int, float] = {}
    for index, score in pairs:
        if not 0 <= index < count or index in scores:
            raise WireFormatError(f"a rerank hit has index [{index}], outside the [{count}] documents sent or repeated")
        scores[index] = score
    return scores
