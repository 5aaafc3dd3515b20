"""``text-classification``, ``token-classification`` and ``fill-mask`` on transformers' pipelines, batched:
the texts of concurrent requests asking the same parameters share passes.

A text longer than the model's window is not cut silently. A classifier scores each of its overlapping
windows (a quarter of a window apart) and answers the mean of their scores, each window weighed by its
tokens; a token classifier runs the pipeline's own overlapping windows (``stride``), whose entities keep
their offsets into the whole text.
"""

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
        parameters: dict[str, Any] = {"top_k": None}  # every label: top_k is applied once windows are joined
        if request.function_to_apply is not None:
            parameters["function_to_apply"] = request.function_to_apply
        pieces = [self.windows(text) for text in request.texts]
        rows = await self.batched([text for windows in pieces for text, _ in windows], parameters)
        answers, at = [], 0
        for windows in pieces:
            labels = _mean_scores(rows[at : at + len(windows)], [tokens for _, tokens in windows])
            answers.append(labels[: request.top_k] if request.top_k else labels)
            at += len(windows)
        usage = Usage(prompt_tokens=sum(tokens for windows in pieces for _, tokens in windows))
        labels = self.pipe.model.config.id2label
        return PipelineAnswer(body=answers, usage=usage, labels=tuple(str(labels[i]) for i in sorted(labels)))

    def windows(self, text: str) -> list[tuple[str, int]]:
        """``text`` whole, or its overlapping windows when longer than the model's, with their token counts."""
        tokenizer, window = self.pipe.tokenizer, self.window
        cut = tokenizer(text, truncation=True, max_length=window, stride=window // 4, return_overflowing_tokens=True,
                        return_offsets_mapping=True)  # fmt: skip
        if len(cut["input_ids"]) == 1:
            return [(text, len(cut["input_ids"][0]))]
        spans = [[o for o in offsets if o[1] > o[0]] for offsets in cut["offset_mapping"]]
        return [(text[span[0][0] : span[-1][1]], len(ids)) for span, ids in zip(spans, cut["input_ids"], strict=True)]


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


def _mean_scores(rows: list[Any], weights: list[int]) -> list[dict[str, Any]]:
    """The labels of one text's windows, each label's score the windows' mean weighed by ``weights``, best first."""
    if len(rows) == 1:
        only = rows[0]
        return list(only) if isinstance(only, list) else [only]
    total: dict[str, float] = {}
    for row, weight in zip(rows, weights, strict=True):
        for label in row if isinstance(row, list) else [row]:
            total[label["label"]] = total.get(label["label"], 0.0) + label["score"] * weight
    mean = [{"label": label, "score": score / sum(weights)} for label, score in total.items()]
    return sorted(mean, key=lambda label: -label["score"])
