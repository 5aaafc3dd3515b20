"""fal's speech recognition, ``{router}/fal-ai/{fal's model id}``: ``{"audio_url": "data:…;base64,…"}`` answered
``{"text", "chunks": [{"text", "timestamp": [start, end]}]}`` (huggingface_hub ``inference/_providers/fal_ai.py``,
``FalAIAutomaticSpeechRecognitionTask``, which reads ``text``; fal's input and output schema,
https://fal.ai/models/fal-ai/whisper/llms.txt: ``task`` transcribe or translate, ``language``, ``chunk_level``)."""

from __future__ import annotations

from typing import Any

from hfgate.pipelines import Pipeline, PipelineRequest
from hfgate.pipelines.audio import base64_of
from hfgate.pipelines.automatic_speech_recognition import Transcription
from hfgate.pipelines.fields import filtered
from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import Address, ByTask, Kind, PipelineProtocol, Protocol
from hfgate.upstream.wire.common import WireFormatError, as_dict
from hfgate.upstream.wire.transcription import refuse_untaken

SERVER = "fal-ai"


class FalTranscription(PipelineProtocol):
    """The audio as a data url (its Content-Type, else ``audio/mpeg`` as huggingface_hub sends); the chunks
    kept only when timestamps were asked for (fal gives segment chunks by default)."""

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        return at.at(f"/{at.model}")

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> dict[str, Any]:
        assert isinstance(request, Transcription)
        refuse_untaken(request, server=SERVER, takes=("task", "language", "return_timestamps"))
        audio_url = f"data:{request.audio.content_type or 'audio/mpeg'};base64,{base64_of(request.audio)}"
        asked = {"task": "translate" if request.translate else None, "language": request.language}
        return {"audio_url": audio_url, **filtered(asked), **({"chunk_level": "segment"} if request.timestamps else {})}

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> dict[str, Any]:
        assert isinstance(request, Transcription)
        answer = as_dict(body, "fal's transcription")
        text, chunks = answer.get("text"), answer.get("chunks")
        if not isinstance(text, str):
            raise WireFormatError(f"fal's transcription has no [text] string, got [{type(text).__name__}]")
        if not request.timestamps:
            return {"text": text}
        if not isinstance(chunks, list):
            raise WireFormatError("fal's transcription has no [chunks] list, asked for with timestamps")
        return {"text": text, "chunks": [_chunk(as_dict(c, "a chunk")) for c in chunks]}


def _chunk(chunk: dict[str, Any]) -> dict[str, Any]:
    return {"text": chunk.get("text"), "timestamp": chunk.get("timestamp")}


NAME = "fal-ai"
PROTOCOLS: dict[Kind, Protocol] = {
    "pipeline": ByTask(SERVER, {TaskType.AUTOMATIC_SPEECH_RECOGNITION: FalTranscription()}),
}
