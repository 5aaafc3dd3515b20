"""``token-classification`` (NER) on the model's own head, batched: the texts of concurrent requests are tokenized
by the model's fast tokenizer and share length-sorted forward passes (``hfgate.local.batching``), and each
token's logits become the entities the client reads as transformers' pipeline makes them (``entities.py``:
every ``aggregation_strategy``, ``ignore_labels``, offsets into the text; the same entities, scores within
1e-4 of the pipeline's in the tests).

On the CPU the head moves to ONNX Runtime once it is exported (once per model, into the data directory, while
torch serves the first requests: ``BatchedHead``'s switch). On a GPU, or where the export fails, torch runs it
(float32).

A text longer than the model's window is not cut silently: it is read in overlapping windows, as the pipeline
reads it given a ``stride`` (the tokens each window repeats of the one before; a quarter of a window when the
request gives none), and the entities keep their offsets into the whole text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hfgate.local.batched_head import BatchedHead
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch
from hfgate.local.pipelines.base import refuse
from hfgate.local.pipelines.entities import Entity, softmax, text_entities
from hfgate.local.pipelines.text_classifier import ClassifierConfig, read_classifier
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.token_classification import TokenClassification
from hfgate.tasks import Usage

_STRIDES_KEPT = 8  # tokenizers kept for the strides requests ask for (each a copy of the vocabulary)


class TokenClassifier(BatchedHead[Any, ClassifierConfig]):
    """A token classifier answering token-classification requests.

    Args:
        path: a ``*ForTokenClassification`` model directory.
        compute: the thread where forward passes run.
        limits: batch size and queue bounds.
        name: the model's name in messages.
        threads: compute threads; 0 keeps the default.
        device: ``cpu``, ``cuda`` or ``cuda:N``.
        tokenizer_processes: unused: the texts are tokenized where the request is read.
        cache_dir: where the ONNX export is kept; ``None``: torch runs the model.

    Example:
        >>> ner = TokenClassifier(model_dir, compute=Compute(), name="ner", cache_dir=data / "models")
        >>> # answer = await ner.run(PIPELINES[TaskType.TOKEN_CLASSIFICATION].request("Marie lives in Paris", {}))
    """

    head = "AutoModelForTokenClassification"

    pooled_tokenizer = False

    def loaded(self, path: Path) -> None:
        self._path = path
        # The tokenizer as the pipeline calls it, cutting a long text into windows that overlap by a quarter.
        self._windows = TextTokenizer(path, max_length=self.window, stride=self.window // 4)
        self._strided: dict[int, TextTokenizer] = {self.window // 4: self._windows}

    @property
    def window(self) -> int:
        """The most tokens the model reads at once, special tokens included."""
        return self.config.max_length

    def read_config(self, path: Path, *, name: str) -> ClassifierConfig:
        return read_classifier(path, name=name)

    async def run(self, request: TokenClassification) -> PipelineAnswer:
        whole = self._windows.encode_as_written(request.texts)
        stride = self._stride(request, long=any(each.overflowing for each in whole))
        pieces = [self._cut(text, encoding, stride) for text, encoding in zip(request.texts, whole, strict=True)]
        encodings = [each for windows in pieces for each in windows]
        rows = await self._batcher.submit(encodings, lengths=[len(e.ids) for e in encodings])
        answers, at = [], 0
        for text, windows in zip(request.texts, pieces, strict=True):
            answers.append(self._entities(text, list(zip(windows, rows[at : at + len(windows)], strict=True)), request))
            at += len(windows)
        usage = Usage(prompt_tokens=sum(len(e.ids) for e in encodings))
        return PipelineAnswer(body=answers if request.listed else answers[0], usage=usage)

    def _entities(self, text: str, scored: list[tuple[Any, Any]], request: TokenClassification) -> list[Entity]:
        """``text``'s entities from its windows and their tokens' scores, as the request asks them."""
        ignore = list(request.ignore_labels) if request.ignore_labels is not None else ["O"]
        strategy, labels = request.aggregation_strategy, self.config.labels
        return text_entities(
            scored, text=text, strategy=strategy, ignore=ignore, labels=labels, vocabulary=self._windows
        )

    def _stride(self, request: TokenClassification, *, long: bool) -> int | None:
        """The stride the request's texts are read with (``None``: none given, and each fits the window; ``long``:
        one does not), or the refusal of a request whose texts cannot be read as it asks.

        Raises:
            BadRequestError: ``aggregation_strategy`` none with a stride or a text longer than the window; a stride
                not below the tokens a window holds for text.
        """
        stride = request.stride
        if stride is None and long:
            if request.aggregation_strategy == "none":
                raise refuse("parameters.aggregation_strategy", "a text longer than the model's window "
                             f"({self.window} tokens) is read in overlapping windows, which needs "
                             "`parameters.aggregation_strategy` simple, first, average or max")  # fmt: skip
            stride = self.window // 4
        if stride is not None:
            if request.aggregation_strategy == "none":
                raise refuse("parameters.stride", "`parameters.stride` needs an aggregation_strategy other than none")
            room = self.window - self._windows.specials_per_text
            if stride >= room:
                raise refuse("parameters.stride", f"`parameters.stride` must be below {room}: the tokens of text a "
                             f"window of the model holds ({self.window} less its special tokens)")  # fmt: skip
        return stride

    def _cut(self, text: str, encoding: Any, stride: int | None) -> list[Any]:
        """``text``'s encoding, or its overlapping windows' when it is longer than the model's window."""
        if not encoding.overflowing or stride is None:
            return [encoding]
        if stride != self.window // 4:  # the windows of another stride than the one it was cut with
            (encoding,) = self._tokenizer_with(stride).encode_as_written([text])
        return [encoding, *encoding.overflowing]

    def _tokenizer_with(self, stride: int) -> TextTokenizer:
        """The tokenizer whose windows each repeat ``stride`` tokens of the one before (the pipeline's ``stride``)."""
        if stride not in self._strided:
            if len(self._strided) >= _STRIDES_KEPT:
                del self._strided[next(s for s in self._strided if s != self.window // 4)]
            self._strided[stride] = TextTokenizer(self._path, max_length=self.window, stride=stride)
        return self._strided[stride]

    def outputs(self, logits: Any, batch: TokenBatch) -> list[Any]:
        """Each sequence's tokens' label scores (float32 numpy rows, padding left out)."""
        values = logits.cpu().numpy() if hasattr(logits, "cpu") else np.asarray(logits)
        scores = softmax(values.astype(np.float32))
        return [scores[row, :width] for row, width in enumerate(batch.attention_mask.sum(axis=1))]
