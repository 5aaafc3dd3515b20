"""The ``local`` service's rerank half: cross-encoders scoring (query, document) pairs in-process."""

from __future__ import annotations

from hfgate.local.rerank import CrossEncoderScorer
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local.base import LocalBase
from hfgate.services.local.keys import rerank_key
from hfgate.tasks import RerankRequest, RerankScores, TaskType, Usage

RERANKING = frozenset({TaskType.RERANK})


class RerankModels(LocalBase):
    """Scores with the endpoint's cross-encoder, loaded once per process into the shared model cache."""

    async def rerank_scores(self, endpoint: Endpoint, request: RerankRequest) -> RerankScores:
        """Each document's score as sentence-transformers' ``CrossEncoder.predict`` gives it (the
        model's activation: a sigmoid's 0..1 for most rerankers, raw logits for the MS MARCO ones)."""
        scorer = await self._scorer(endpoint)
        scored = await scorer.score(request.query, request.documents)
        return RerankScores(scores=dict(enumerate(scored.scores)), usage=Usage(prompt_tokens=scored.tokens))

    async def _checked_reranker(self, endpoint: Endpoint) -> Endpoint:
        """Load the cross-encoder, score one pair, and record what its scores are."""
        scorer = await self._scorer(endpoint)
        await scorer.score("hfgate", ("check",))
        recorded = {"score_activation": scorer.config.activation}
        return endpoint.evolve(service_settings={**endpoint.service_settings, **recorded})

    async def _scorer(self, endpoint: Endpoint) -> CrossEncoderScorer:
        """The endpoint's loaded cross-encoder."""
        return await self._batched_model(endpoint, CrossEncoderScorer, key=rerank_key)
