"""``zero-shot-classification``: a text scored against labels given with the request, by a model trained on
natural language inference (BART-MNLI, DeBERTa-NLI…): each label becomes the hypothesis "This example is
{label}." and its entailment is the score.

Answer: ``[{"label", "score"}, …]``, best first (the Inference API's shape; transformers' pipeline gives
``{"sequence", "labels", "scores"}``, which :meth:`answer` turns into it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, text
from hfgate.tasks import TaskType

DEFAULT_TEMPLATE = "This example is {}."


@dataclass(frozen=True, slots=True, kw_only=True)
class ZeroShotClassification(PipelineRequest):
    text: str
    candidate_labels: tuple[str, ...]
    multi_label: bool = False
    hypothesis_template: str = DEFAULT_TEMPLATE


class ZeroShotClassificationPipeline(Pipeline[ZeroShotClassification]):
    task = TaskType.ZERO_SHOT_CLASSIFICATION
    label = "Zero-shot classification"

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> ZeroShotClassification:
        p = Parameters(parameters, accepted=("candidate_labels", "multi_label", "hypothesis_template"))
        labels = p.strings("candidate_labels")
        if labels is None:
            raise Parameters.invalid("candidate_labels", "is required: the labels to score the text against")
        template = p.string("hypothesis_template") or DEFAULT_TEMPLATE
        if "{}" not in template:
            raise Parameters.invalid("hypothesis_template", f"must hold {{}} where each label goes, got [{template}]")
        return ZeroShotClassification(
            text=text(inputs),
            candidate_labels=labels,
            multi_label=bool(p.flag("multi_label")),
            hypothesis_template=template,
        )

    def payload(self, request: ZeroShotClassification) -> dict[str, Any]:
        parameters = {
            "candidate_labels": list(request.candidate_labels),
            "multi_label": request.multi_label,
            "hypothesis_template": request.hypothesis_template,
        }
        return {"inputs": request.text, "parameters": parameters}

    def answer(self, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("labels"), list):
            return [
                {"label": label, "score": score} for label, score in zip(raw["labels"], raw["scores"], strict=False)
            ]
        return raw

    def probe(self) -> tuple[Any, dict[str, Any]]:
        return ("Paris is the capital of France.", {"candidate_labels": ["travel", "cooking"]})


PIPELINE = ZeroShotClassificationPipeline()
