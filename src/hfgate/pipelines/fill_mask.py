"""``fill-mask``: the likeliest words for the mask token in a text (``[MASK]``, ``<mask>``: the model's own).

Answer: ``[{"sequence", "score", "token", "token_str"}, …]``, best first, per text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered, texts
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class FillMask(PipelineRequest):
    texts: tuple[str, ...]
    listed: bool = False
    top_k: int | None = None
    targets: tuple[str, ...] | None = None


class FillMaskPipeline(Pipeline[FillMask]):
    task = TaskType.FILL_MASK
    label = "Fill mask"

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> FillMask:
        p = Parameters(parameters, accepted=("top_k", "targets"))
        read, listed = texts(inputs)
        return FillMask(texts=read, listed=listed, top_k=p.integer("top_k", maximum=1000), targets=p.strings("targets"))

    def payload(self, request: FillMask) -> dict[str, Any]:
        inputs = list(request.texts) if request.listed else request.texts[0]
        targets = list(request.targets) if request.targets else None
        return {"inputs": inputs, "parameters": filtered({"top_k": request.top_k, "targets": targets})}

    def probe(self) -> tuple[Any, dict[str, Any]] | None:
        return None


PIPELINE = FillMaskPipeline()
