"""``text-classification``: labels with scores for a text (sentiment, topics, toxicity…).

Answer: ``[[{"label", "score"}, …]]``, one list per text, best first, all labels unless ``top_k``. A TEI
server and the Endpoints container answer one text with a flat list, which ``InferenceClient`` reads as
its first label only (huggingface_hub PR #3539): :meth:`answer` nests it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered, texts
from hfgate.tasks import TaskType

FUNCTIONS = ("sigmoid", "softmax", "none")
"""What turns logits into scores (the pipeline's ``function_to_apply``); the model's config decides when unset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TextClassification(PipelineRequest):
    texts: tuple[str, ...]
    listed: bool = False
    top_k: int | None = None
    function_to_apply: str | None = None


class TextClassificationPipeline(Pipeline[TextClassification]):
    task = TaskType.TEXT_CLASSIFICATION
    label = "Text classification"

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> TextClassification:
        p = Parameters(parameters, accepted=("top_k", "function_to_apply"))
        read, listed = texts(inputs)
        return TextClassification(
            texts=read,
            listed=listed,
            top_k=p.integer("top_k"),
            function_to_apply=p.choice("function_to_apply", FUNCTIONS),
        )

    def payload(self, request: TextClassification) -> dict[str, Any]:
        inputs = list(request.texts) if request.listed else request.texts[0]
        parameters = filtered({"top_k": request.top_k, "function_to_apply": request.function_to_apply})
        return {"inputs": inputs, "parameters": parameters}

    def answer(self, raw: Any) -> Any:
        if isinstance(raw, list) and raw and isinstance(raw[0], dict):
            return [raw]
        return raw


PIPELINE = TextClassificationPipeline()
