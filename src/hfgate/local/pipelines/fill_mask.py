"""``fill-mask`` on transformers' pipeline, batched: the texts of concurrent requests asking the same
parameters share passes (text and token classification run on the model's head: ``text_classifier.py``,
``token_classifier.py``).
"""

from __future__ import annotations

from typing import Any

from hfgate.local.pipelines.base import TransformersRunner, refuse
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.fill_mask import FillMask
from hfgate.tasks import Usage


class MaskFiller(TransformersRunner[FillMask]):
    task = "fill-mask"

    async def run(self, request: FillMask) -> PipelineAnswer:
        mask = self.pipe.tokenizer.mask_token
        for i, text in enumerate(request.texts):
            if mask not in text:
                field = f"inputs[{i}]" if request.listed else "inputs"
                raise refuse(field, f"`{field}` must hold the model's mask token {mask} where the word to fill goes")
        parameters: dict[str, Any] = {"top_k": request.top_k or 5}
        if request.targets is not None:
            parameters["targets"] = list(request.targets)
        rows = await self.batched(request.texts, parameters)
        return PipelineAnswer(
            body=rows if request.listed else rows[0], usage=Usage(prompt_tokens=self.tokens(request.texts))
        )

    def compute_batch(self, inputs: list[Any], parameters: dict[str, Any]) -> list[Any]:
        outputs = super().compute_batch(inputs, parameters)
        # one text: the pipeline answers its output unlisted (its candidates, or one list of them per mask)
        return [outputs] if len(inputs) == 1 else outputs
