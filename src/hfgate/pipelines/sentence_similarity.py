"""``sentence-similarity``: the cosine similarity of a sentence with each of others, by a sentence embedder.

Answer: ``[score, …]``, one per sentence, in their order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, obj, text, texts
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class SentenceSimilarity(PipelineRequest):
    source_sentence: str
    sentences: tuple[str, ...]


class SentenceSimilarityPipeline(Pipeline[SentenceSimilarity]):
    task = TaskType.SENTENCE_SIMILARITY
    label = "Sentence similarity"

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> SentenceSimilarity:
        Parameters(parameters, accepted=())
        given = obj(inputs, keys=("source_sentence", "sentences"))
        others, _ = texts(given["sentences"], name="inputs.sentences")
        return SentenceSimilarity(
            source_sentence=text(given["source_sentence"], name="inputs.source_sentence"), sentences=others
        )

    def payload(self, request: SentenceSimilarity) -> dict[str, Any]:
        return {"inputs": {"source_sentence": request.source_sentence, "sentences": list(request.sentences)}}

    def probe(self) -> tuple[Any, dict[str, Any]]:
        return ({"source_sentence": "a cat sits", "sentences": ["a cat is sitting"]}, {})


PIPELINE = SentenceSimilarityPipeline()
