"""Rerank hits as JSON, shared by the faces: Elasticsearch calls the score ``relevance_score``, TEI ``score``."""

from __future__ import annotations

from typing import Any

from hfgate.tasks import RerankResult


def rerank_hits(result: RerankResult, *, score_key: str) -> list[dict[str, Any]]:
    """``{"index", score_key, "text"?}`` per hit, best first as the service returned them.

    Example:
        >>> rerank_hits(RerankResult(hits=(RerankHit(index=1, score=0.9),)), score_key="score")
        [{'index': 1, 'score': 0.9}]
    """
    hits = []
    for hit in result.hits:
        item: dict[str, Any] = {"index": hit.index, score_key: hit.score}
        if hit.text is not None:
            item["text"] = hit.text
        hits.append(item)
    return hits
