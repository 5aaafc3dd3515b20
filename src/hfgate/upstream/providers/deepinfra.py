"""DeepInfra's routes under ``{router}/deepinfra``: embeddings at ``/v1/openai/embeddings`` and speech recognition
at ``/v1/openai/audio/transcriptions``, OpenAI's multipart form with DeepInfra's model id, its ``segments`` made
the chunks (huggingface_hub ``inference/_providers/deepinfra.py``: ``DeepInfraFeatureExtractionTask``,
``DeepInfraAutomaticSpeechRecognitionTask``)."""

from __future__ import annotations

from typing import ClassVar

from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import ByTask, Kind, Protocol
from hfgate.upstream.engines.openai import OpenAIEmbeddings, OpenAITranscription


class DeepInfraEmbeddings(OpenAIEmbeddings):
    route: ClassVar[str] = "/v1/openai/embeddings"


class DeepInfraTranscription(OpenAITranscription):
    route: ClassVar[str] = "/v1/openai/audio/transcriptions"
    server: ClassVar[str] = "DeepInfra"


NAME = "deepinfra"
PROTOCOLS: dict[Kind, Protocol] = {
    "embed": DeepInfraEmbeddings(),
    "pipeline": ByTask("DeepInfra", {TaskType.AUTOMATIC_SPEECH_RECOGNITION: DeepInfraTranscription()}),
}
