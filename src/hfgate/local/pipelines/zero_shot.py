"""``zero-shot-classification`` on transformers' pipeline: each (text, hypothesis) pair one row of a pass."""

from __future__ import annotations

from typing import Any

from hfgate.local.pipelines.base import TransformersRunner, refuse
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.zero_shot_classification import PIPELINE, ZeroShotClassification
from hfgate.tasks import Usage


class ZeroShotClassifier(TransformersRunner[ZeroShotClassification]):
    task = "zero-shot-classification"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.pipe.entailment_id == -1:
            raise refuse(
                "service_settings.model",
                f"[{self.name}] has no label starting with 'entail' in its config's label2id, so it cannot score "
                "hypotheses; give a model trained on natural language inference (such as facebook/bart-large-mnli)",
            )

    async def run(self, request: ZeroShotClassification) -> PipelineAnswer:
        parameters = {
            "candidate_labels": list(request.candidate_labels),
            "multi_label": request.multi_label,
            "hypothesis_template": request.hypothesis_template,
        }
        (row,) = await self.batched([request.text], parameters)
        tokens = self.tokens((request.text,)) * len(request.candidate_labels)
        return PipelineAnswer(body=PIPELINE.answer(row), usage=Usage(prompt_tokens=tokens))
