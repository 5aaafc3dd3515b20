"""The ``local`` service's rerank models: cross-encoders scoring (query, document) pairs in-process."""

from __future__ import annotations

from hfgate.local.rerank import CrossEncoderScorer
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local.base import LocalModel
from hfgate.services.local.keys import rerank_key
from hfgate.tasks import RerankRequest, RerankScores, TaskType, Usage

RERANKING = frozenset({TaskType.RERANK})


class LocalReranker(LocalModel[CrossEncoderScorer]):
    """Scores with the endpoint's cross-encoder, loaded once per process into the shared model cache."""

    async def load(self) -> None:
        await self.scorer()

    async def rerank_scores(self, request: RerankRequest) -> RerankScores:
        """Each document's score as sentence-transformers' ``CrossEncoder.predict`` gives it (the
        model's activation: a sigmoid's 0..1 for most rerankers, raw logits for the MS MARCO ones)."""
        scored = await (await self.scorer()).score(request.query, request.documents)
        return RerankScores(scores=dict(enumerate(scored.scores)), usage=Usage(prompt_tokens=scored.tokens))

    async def checked(self) -> Endpoint:
        """Load the cross-encoder, score one pair, and record what its scores are (at create)."""
        scorer = await self.scorer()
        await scorer.score("hfgate", ("check",))
        recorded = {"score_activation": scorer.config.activation}
        return self.endpoint.evolve(service_settings={**self.endpoint.service_settings, **recorded})

    async def scorer(self) -> CrossEncoderScorer:
        """The endpoint's loaded cross-encoder."""
        return await self.batched(CrossEncoderScorer, key=rerank_key)
