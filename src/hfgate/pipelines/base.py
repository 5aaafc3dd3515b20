"""What every Hub task shares: the request's base, the answer, and the class each task's module fills in.

A task's module (``text_classification.py``, ``automatic_speech_recognition.py``…) declares its request
(a :class:`PipelineRequest` subclass) and reads it from the Inference API's body (``{"inputs",
"parameters"}``, or raw bytes for audio) with :meth:`Pipeline.request`. Its answer is the Inference API's
JSON as ``huggingface_hub.InferenceClient`` parses it: what the local runner gives and what an upstream
answers, made alike by :meth:`Pipeline.answer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from hfgate.tasks import TaskType, Usage


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineRequest:
    """One request of a Hub task; each task's module declares its own fields on top."""

    timeout: float | None = None
    """As :attr:`hfgate.tasks.EmbedRequest.timeout`: set by the orchestrator."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineAnswer:
    """A task's answer: ``body`` is the Inference API's JSON for it; ``usage`` the tokens read and written;
    ``audio_seconds`` the length of the audio heard (speech tasks); ``labels`` a classifier's classes in their
    ids' order, where the runner knows them (empty otherwise: vLLM's ``/classify`` lists ``probs`` by class id)."""

    body: Any
    usage: Usage = field(default_factory=Usage)
    audio_seconds: float = 0.0
    labels: tuple[str, ...] = ()


Q = TypeVar("Q", bound=PipelineRequest)


class Pipeline(Generic[Q]):
    """One Hub task: how its request is read and its answer shaped.

    Attributes:
        task: the task type, by the Hub's name.
        label: what the web page calls it.
        binary: whether its input is a file (audio), sent as the raw body or base64 in ``inputs``.
        batches: whether the local runner batches concurrent requests' inputs into shared passes.
    """

    task: ClassVar[TaskType]
    label: ClassVar[str]
    binary: ClassVar[bool] = False
    batches: ClassVar[bool] = True

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> Q:
        """The task's request from the Inference API's ``inputs`` and ``parameters``.

        Raises:
            RequestValidationError: a field is missing or wrong; the message names it.
        """
        raise NotImplementedError

    def answer(self, raw: Any) -> Any:
        """An upstream's answer in the shape ``InferenceClient`` parses; as it came by default."""
        return raw

    def payload(self, request: Q) -> dict[str, Any]:
        """The request as the Inference API's JSON body (what an upstream is sent)."""
        raise NotImplementedError

    def probe(self) -> tuple[Any, dict[str, Any]] | None:
        """The ``inputs`` and ``parameters`` of a create-time test call; ``None``: none can be made without
        knowing the model (fill-mask's mask token). A short text by default."""
        return PROBE_TEXT, {}


PROBE_TEXT = "Paris is the capital of France."
