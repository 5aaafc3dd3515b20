"""Replicate's speech recognition, ``{router}/replicate/v1/models/{model}/predictions`` (or ``/v1/predictions``
with ``version`` when the model id is ``owner/name:version``), ``Prefer: wait`` so that the answer holds the
output: ``{"input": {"audio": "data:…;base64,…"}}`` answered ``{"output": …}``, the text being the output itself,
its first item, or its ``transcription`` or ``translation`` (huggingface_hub ``inference/_providers/replicate.py``,
``ReplicateTask``, ``ReplicateAutomaticSpeechRecognitionTask``). An output given only as a ``txt_file`` url is
not fetched (hfgate calls no url an answer names)."""

from __future__ import annotations

from typing import Any

from hfgate.pipelines import Pipeline, PipelineRequest
from hfgate.pipelines.audio import base64_of
from hfgate.pipelines.automatic_speech_recognition import Transcription
from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import Address, ByTask, Kind, PipelineProtocol, Protocol
from hfgate.upstream.wire.common import WireFormatError, as_dict
from hfgate.upstream.wire.transcription import refuse_untaken

SERVER = "replicate"


class ReplicateTranscription(PipelineProtocol):
    """The audio as a data url (its Content-Type, else ``audio/wav`` as huggingface_hub's default); no other
    input, since each Replicate model names its own."""

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        return at.at("/v1/predictions" if ":" in at.model else f"/v1/models/{at.model}/predictions")

    def headers(self, at: Address, task: Pipeline[Any]) -> dict[str, str]:
        return {"Prefer": "wait"}

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> dict[str, Any]:
        assert isinstance(request, Transcription)
        refuse_untaken(request, server=SERVER, takes=())
        audio = f"data:{request.audio.content_type or 'audio/wav'};base64,{base64_of(request.audio)}"
        version = at.model.split(":", 1)[1] if ":" in at.model else None
        return {"input": {"audio": audio}, **({"version": version} if version else {})}

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> dict[str, Any]:
        output = as_dict(body, "Replicate's prediction").get("output")
        if isinstance(output, list) and output:
            output = output[0]
        if isinstance(output, dict):
            output = output.get("translation") or output.get("transcription")
        if not isinstance(output, str):
            raise WireFormatError(
                "Replicate's prediction has no text output (a string, a list of them, or [transcription]); it may "
                "still be running past Prefer: wait's 60 s, or give its text only as a file"
            )
        return {"text": output}


NAME = "replicate"
PROTOCOLS: dict[Kind, Protocol] = {
    "pipeline": ByTask(SERVER, {TaskType.AUTOMATIC_SPEECH_RECOGNITION: ReplicateTranscription()}),
}
