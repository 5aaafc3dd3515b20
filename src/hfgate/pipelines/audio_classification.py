"""``audio-classification``: labels with scores for an audio file (keyword spotting, language, emotion…).

Answer: ``[{"label", "score"}, …]``, best first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.audio import AudioFile, audio_input, base64_of, silence_wav
from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered
from hfgate.pipelines.text_classification import FUNCTIONS
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioClassification(PipelineRequest):
    audio: AudioFile
    top_k: int | None = None
    function_to_apply: str | None = None


class AudioClassificationPipeline(Pipeline[AudioClassification]):
    task = TaskType.AUDIO_CLASSIFICATION
    label = "Audio classification"
    binary = True
    batches = False

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> AudioClassification:
        p = Parameters(parameters, accepted=("top_k", "function_to_apply"))
        return AudioClassification(
            audio=audio_input(inputs),
            top_k=p.integer("top_k"),
            function_to_apply=p.choice("function_to_apply", FUNCTIONS),
        )

    def payload(self, request: AudioClassification) -> dict[str, Any]:
        parameters = filtered({"top_k": request.top_k, "function_to_apply": request.function_to_apply})
        return {"inputs": base64_of(request.audio), "parameters": parameters}

    def probe(self) -> tuple[Any, dict[str, Any]]:
        return AudioFile(data=silence_wav()), {}


PIPELINE = AudioClassificationPipeline()
