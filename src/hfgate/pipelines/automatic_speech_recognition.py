"""``automatic-speech-recognition``: the words spoken in an audio file (Whisper, wav2vec2 and other CTC models).

Answer: ``{"text", "chunks": [{"text", "timestamp": [start, end]}]}`` (chunks when timestamps are asked
for). Audio longer than the model's window (Whisper's 30 s) is cut into overlapping windows whose texts
and timestamps are joined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.audio import AudioFile, audio_input, base64_of, silence_wav
from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered
from hfgate.pipelines.text2text import generate_parameters
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcription(PipelineRequest):
    audio: AudioFile
    timestamps: str | None = None
    """``None``: the text only; ``segment``: a chunk per phrase; ``word``: a chunk per word."""
    language: str | None = None
    translate: bool = False
    """Whisper's ``translate`` task: English text from speech in any language."""
    prompt: str | None = None
    temperature: float | None = None
    generate: Mapping[str, Any] | None = None


class SpeechRecognitionPipeline(Pipeline[Transcription]):
    task = TaskType.AUTOMATIC_SPEECH_RECOGNITION
    label = "Speech recognition"
    binary = True
    batches = False

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> Transcription:
        accepted = (
            "return_timestamps",
            "language",
            "task",
            "prompt",
            "temperature",
            "generate_parameters",
            "generation_parameters",
        )
        p = Parameters(parameters, accepted=accepted)
        parameters = parameters or {}
        stamps = parameters.get("return_timestamps")
        if stamps not in (None, True, False, "word", "segment", "char"):
            raise Parameters.invalid("return_timestamps", f'must be true, false or "word", got [{stamps!r}]')
        task = p.choice("task", ("transcribe", "translate"))
        renamed = {
            **parameters,
            "generate_parameters": parameters.get("generate_parameters") or parameters.get("generation_parameters"),
        }
        generate = generate_parameters(Parameters(renamed, accepted=(*accepted,))) or None
        return Transcription(
            audio=audio_input(inputs),
            timestamps={True: "segment", False: None, "char": "segment"}.get(stamps, stamps),
            language=p.string("language"),
            translate=task == "translate",
            prompt=p.string("prompt"),
            temperature=p.number("temperature"),
            generate=generate,
        )

    def payload(self, request: Transcription) -> dict[str, Any]:
        stamps = {None: None, "segment": True, "word": "word"}[request.timestamps]
        generate = dict(request.generate or {})
        generate |= filtered({"language": request.language, "task": "translate" if request.translate else None})
        parameters = filtered({"return_timestamps": stamps, "generation_parameters": generate or None})
        return {"inputs": base64_of(request.audio), "parameters": parameters}

    def probe(self) -> tuple[Any, dict[str, Any]]:
        return AudioFile(data=silence_wav()), {}


PIPELINE = SpeechRecognitionPipeline()
