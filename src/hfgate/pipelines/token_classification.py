"""``token-classification``: labelled spans of a text (named entities, parts of speech), with offsets into it.

Answer: ``[{"entity_group" (or "entity" without aggregation), "score", "word", "start", "end"}, …]`` per
text. ``aggregation_strategy`` joins word pieces into words and entities for the client (vLLM's
``/pooling`` leaves that to the client); ``simple`` by default, as the Inference API does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered, texts
from hfgate.tasks import TaskType

AGGREGATIONS = ("none", "simple", "first", "average", "max")


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenClassification(PipelineRequest):
    texts: tuple[str, ...]
    listed: bool = False
    aggregation_strategy: str = "simple"
    ignore_labels: tuple[str, ...] | None = None
    stride: int | None = None


class TokenClassificationPipeline(Pipeline[TokenClassification]):
    task = TaskType.TOKEN_CLASSIFICATION
    label = "Token classification (NER)"

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> TokenClassification:
        p = Parameters(parameters, accepted=("aggregation_strategy", "ignore_labels", "stride"))
        read, listed = texts(inputs)
        ignore = p.strings("ignore_labels") if p.given("ignore_labels") and parameters["ignore_labels"] else None
        return TokenClassification(
            texts=read,
            listed=listed,
            aggregation_strategy=p.choice("aggregation_strategy", AGGREGATIONS) or "simple",
            ignore_labels=ignore,
            stride=p.integer("stride", minimum=0),
        )

    def payload(self, request: TokenClassification) -> dict[str, Any]:
        inputs = list(request.texts) if request.listed else request.texts[0]
        parameters = filtered(
            {
                "aggregation_strategy": request.aggregation_strategy,
                "ignore_labels": list(request.ignore_labels) if request.ignore_labels else None,
                "stride": request.stride,
            }
        )
        return {"inputs": inputs, "parameters": parameters}


PIPELINE = TokenClassificationPipeline()
