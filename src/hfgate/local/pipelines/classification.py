"""``text-classification``, ``token-classification`` and ``fill-mask`` on transformers' pipelines, batched:
the texts of concurrent requests asking the same parameters share passes."""

from __future__ import annotations

from typing import Any

from hfgate.local.pipelines.base import TransformersRunner, refuse
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.fill_mask import FillMask
from hfgate.pipelines.text_classification import TextClassification
from hfgate.pipelines.token_classification import TokenClassification
from hfgate.tasks import Usage


class TextClassifier(TransformersRunner[TextClassification]):
    task = "text-classification"

    async def run(self, request: TextClassification) -> PipelineAnswer:
        parameters: dict[str, Any] = {"top_k": request.top_k}  # None: every label, best first
        if request.function_to_apply is not None:
            parameters["function_to_apply"] = request.function_to_apply
        rows = await self.batched(request.texts, parameters)
        usage = Usage(prompt_tokens=self.tokens(request.texts))
        labels = self.pipe.model.config.id2label
        return PipelineAnswer(
            body=[r if isinstance(r, list) else [r] for r in rows],
            usage=usage,
            labels=tuple(str(labels[i]) for i in sorted(labels)),
        )


class TokenClassifier(TransformersRunner[TokenClassification]):
    task = "token-classification"

    async def run(self, request: TokenClassification) -> PipelineAnswer:
        parameters: dict[str, Any] = {"aggregation_strategy": request.aggregation_strategy}
        if request.ignore_labels is not None:
            parameters["ignore_labels"] = list(request.ignore_labels)
        if request.stride is not None:
            if request.aggregation_strategy == "none":
                raise refuse("parameters.stride", "`parameters.stride` needs an aggregation_strategy other than none")
            parameters["stride"] = request.stride
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
        # one text with one mask: the pipeline answers its candidates unlisted
        return [outputs] if len(inputs) == 1 and outputs and isinstance(outputs[0], dict) else outputs
