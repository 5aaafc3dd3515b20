"""``token-classification`` and ``fill-mask`` on transformers' pipelines, batched: the texts of concurrent
requests asking the same parameters share passes (text-classification runs on the model's head:
``text_classifier.py``).

A text longer than the model's window is not cut silently: a token classifier runs the pipeline's own
overlapping windows (``stride``), whose entities keep their offsets into the whole text.
"""

from __future__ import annotations

from typing import Any

from hfgate.local.pipelines.base import TransformersRunner, refuse
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.fill_mask import FillMask
from hfgate.pipelines.token_classification import TokenClassification
from hfgate.tasks import Usage


class TokenClassifier(TransformersRunner[TokenClassification]):
    task = "token-classification"

    async def run(self, request: TokenClassification) -> PipelineAnswer:
        parameters: dict[str, Any] = {"aggregation_strategy": request.aggregation_strategy}
        if request.ignore_labels is not None:
            parameters["ignore_labels"] = list(request.ignore_labels)
        stride = request.stride
        if stride is None and max(self.tokens((text,)) for text in request.texts) > self.window:
            if request.aggregation_strategy == "none":
                raise refuse("parameters.aggregation_strategy", "a text longer than the model's window "
                             f"({self.window} tokens) is read in overlapping windows, which needs "
                             "`parameters.aggregation_strategy` simple, first, average or max")  # fmt: skip
            stride = self.window // 4
        if stride is not None:
            if request.aggregation_strategy == "none":
                raise refuse("parameters.stride", "`parameters.stride` needs an aggregation_strategy other than none")
            parameters["stride"] = stride
        rows = await self.batched(request.texts, parameters)
        return PipelineAnswer(
            body=rows if request.listed else rows[0], usage=Usage(prompt_tokens=self.tokens(request.texts))
        )


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
