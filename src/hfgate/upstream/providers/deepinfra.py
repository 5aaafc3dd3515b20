"""DeepInfra's routes under ``{router}/deepinfra``: embeddings at ``/v1/openai/embeddings`` and speech recognition
at ``/v1/openai/audio/transcriptions``, OpenAI's multipart form with DeepInfra's model id, its ``segments`` made
the chunks (huggingface_hub ``inference/_providers/deepinfra.py``: ``DeepInfraFeatureExtractionTask``,
``DeepInfraAutomaticSpeechRecognitionTask``)."""

from __future__ import annotations

from typing import Any, ClassVar

from hfgate.pipelines import Pipeline, PipelineRequest
from hfgate.pipelines.automatic_speech_recognition import Transcription
from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import Address, ByTask, Kind, PipelineProtocol, Protocol
from hfgate.upstream.engines.openai import OpenAIEmbeddings
from hfgate.upstream.wire.form import Form
from hfgate.upstream.wire.transcription import parse_transcription, transcription_form


class DeepInfraEmbeddings(OpenAIEmbeddings):
    route: ClassVar[str] = "/v1/openai/embeddings"


class DeepInfraTranscription(PipelineProtocol):
    def url(self, at: Address, task: Pipeline[Any]) -> str:
        return at.at("/v1/openai/audio/transcriptions")

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> Form:
        assert isinstance(request, Transcription)
        return transcription_form(request, model=at.model, server="DeepInfra")

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> dict[str, Any]:
        assert isinstance(request, Transcription)
        return parse_transcription(body, request)


NAME = "deepinfra"
PROTOCOLS: dict[Kind, Protocol] = {
    "embed": DeepInfraEmbeddings(),
    "pipeline": ByTask("DeepInfra", {TaskType.AUTOMATIC_SPEECH_RECOGNITION: DeepInfraTranscription()}),
}
