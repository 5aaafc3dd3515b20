"""``text-classification`` on the model's own head, batched: the texts of concurrent requests are tokenized by
the model's fast tokenizer and share length-sorted forward passes (``hfgate.local.batching``, as embeddings
and rerank do), and each text's logits go through the model's activation as transformers' pipeline applies
it (the same labels, scores within 1e-4 of the pipeline's in the tests).

On the CPU the head moves to ONNX Runtime once it is exported (once per model, into the data directory, while
torch serves the first requests: ``BatchedHead``'s switch). On a GPU, or where the export fails, torch runs it
(float32).

A text longer than the model's window is not cut silently: each of its overlapping windows (a quarter of a
window apart) is scored, and the answer is the mean of their scores, each window weighed by its tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hfgate.local.batched_head import BatchedHead
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch, model_max_length
from hfgate.local.model_kind import read_json
from hfgate.local.pipelines.base import refuse
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.text_classification import TextClassification
from hfgate.tasks import Usage

FUNCTIONS = ("sigmoid", "softmax", "none")


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    """A classifier's labels in their ids' order, its activation by default, and its window in tokens."""

    labels: tuple[str, ...]
    function: str
    max_length: int


def read_classifier(path: Path, *, name: str) -> ClassifierConfig:
    """The classifier's settings from ``config.json``: its activation chosen as transformers' pipeline
    chooses it (regression: none; multi-label or one label: sigmoid; otherwise softmax).

    Raises:
        BadRequestError: the config names no labels.
    """
    config = read_json(path / "config.json")
    id2label = config.get("id2label") or {}
    count = int(config.get("num_labels") or len(id2label) or 0)
    if not count:
        raise refuse("service_settings.model", f"[{name}] names no labels in its config.json (id2label)")
    labels = tuple(str(id2label.get(str(i), id2label.get(i, f"LABEL_{i}"))) for i in range(count))
    problem = config.get("problem_type")
    if problem == "regression":
        function = "none"
    elif problem == "multi_label_classification" or count == 1:
        function = "sigmoid"
    else:
        function = "softmax"
    positions = config.get("max_position_embeddings")
    window = min(model_max_length(path), positions if isinstance(positions, int) and positions > 0 else 1_000_000)
    return ClassifierConfig(labels=labels, function=function, max_length=window)


class TextClassifier(BatchedHead[Any, ClassifierConfig]):
    """A sequence classifier answering text-classification requests.

    Args:
        path: a ``*ForSequenceClassification`` model directory.
        compute: the thread where forward passes run.
        limits: batch size and queue bounds.
        name: the model's name in messages.
        threads: compute threads; 0 keeps the default.
        device: ``cpu``, ``cuda`` or ``cuda:N``.
        tokenizer_processes: unused: the texts are tokenized where the request is read.
        cache_dir: where the ONNX export is kept; ``None``: torch runs the model.

    Example:
        >>> classifier = TextClassifier(model_dir, compute=Compute(), name="sentiment", cache_dir=data / "models")
        >>> # answer = await classifier.run(PIPELINES[TaskType.TEXT_CLASSIFICATION].request("I loved it", {}))
    """

    head = "AutoModelForSequenceClassification"

    pooled_tokenizer = False

    def loaded(self, path: Path) -> None:
        # The same tokenizer, cutting a long text into windows a quarter of a window apart (its overflow).
        window = self.config.max_length
        self._windows = TextTokenizer(path, max_length=window, stride=window // 4)

    def read_config(self, path: Path, *, name: str) -> ClassifierConfig:
        return read_classifier(path, name=name)

    async def run(self, request: TextClassification) -> PipelineAnswer:
        pieces = [self._cut(text) for text in request.texts]
        encodings = [each for windows in pieces for each in windows]
        rows = await self._batcher.submit(encodings, lengths=[len(e.ids) for e in encodings])
        function = request.function_to_apply or self.config.function
        answers, at = [], 0
        for windows in pieces:
            scores = [_activated(row, function) for row in rows[at : at + len(windows)]]
            weights = np.array([len(e.ids) for e in windows], dtype=np.float64)
            mean = scores[0] if len(scores) == 1 else (np.stack(scores) * weights[:, None]).sum(0) / weights.sum()
            ranked = sorted(zip(self.config.labels, mean.tolist(), strict=True), key=lambda each: -each[1])
            # sorted is stable: labels of equal scores keep their ids' order, as in the pipeline
            labels = [{"label": label, "score": score} for label, score in ranked]
            answers.append(labels[: request.top_k] if request.top_k else labels)
            at += len(windows)
        usage = Usage(prompt_tokens=sum(len(e.ids) for e in encodings))
        return PipelineAnswer(body=answers, usage=usage, labels=self.config.labels)

    def _cut(self, text: str) -> list[Any]:
        """``text``'s encoding, or its overlapping windows' when it is longer than the model's window."""
        (encoding,) = self._windows.encode([text])
        return [encoding, *encoding.overflowing]

    def outputs(self, logits: Any, batch: TokenBatch) -> list[Any]:
        """Each text's logits, as float32 numpy rows."""
        values = logits.cpu().numpy() if hasattr(logits, "cpu") else np.asarray(logits)
        return list(values.astype(np.float32))


def _activated(logits: Any, function: str) -> Any:
    """``logits`` through ``function``, in float32 as transformers' pipeline computes it."""
    if function == "sigmoid":
        return 1.0 / (1.0 + np.exp(-logits))
    if function == "softmax":
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)
    return logits
