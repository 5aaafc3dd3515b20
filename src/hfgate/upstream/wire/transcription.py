"""OpenAI's ``/v1/audio/transcriptions``, as vLLM and DeepInfra serve it: a multipart form (``file``, ``model``,
``response_format``, ``language``, ``prompt``, ``temperature``) answered ``{"text"}``, or with ``verbose_json``
``{"text", "segments": [{"start", "end", "text"}, …]}`` (OpenAI's API reference; vLLM 0.32
``vllm/entrypoints/speech_to_text/transcription/protocol.py``: ``TranscriptionRequest``,
``TranscriptionResponseVerbose``; huggingface_hub ``inference/_providers/deepinfra.py``, whose
``get_response`` makes the segments the chunks). vLLM reads ``timestamp_granularities[]`` and gives no
``words``, so word timestamps are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.pipelines.automatic_speech_recognition import Transcription
from hfgate.upstream.wire.common import WireFormatError, as_dict
from hfgate.upstream.wire.form import Form


def transcription_form(request: Transcription, *, model: str, server: str) -> Form:
    """The form for ``request``, ``model`` named when known.

    Raises:
        BadRequestError: the request asks what the route has no field for (Whisper's ``translate`` task,
            ``generate_parameters``, word timestamps); ``server`` is named in the reason.
    """
    refuse_untaken(request, server=server, takes=("return_timestamps", "language", "prompt", "temperature"))
    fields = [("model", model)] if model else []
    fields.append(("response_format", "verbose_json" if request.timestamps else "json"))
    optional = {"language": request.language, "prompt": request.prompt, "temperature": request.temperature}
    fields += [(name, str(value)) for name, value in optional.items() if value is not None]
    return Form(data=request.audio.data, content_type=request.audio.content_type, fields=fields)


def parse_transcription(body: Any, request: Transcription) -> dict[str, Any]:
    """The Inference API's answer, ``{"text"}`` with ``chunks`` when timestamps were asked for.

    Raises:
        WireFormatError: no ``text``, or timestamps asked for and none given.
    """
    answer = as_dict(body, "the transcription")
    text = answer.get("text")
    if not isinstance(text, str):
        raise WireFormatError("the transcription has no [text] string")
    if not request.timestamps:
        return {"text": text}
    segments = answer.get("segments")
    if not isinstance(segments, list):
        raise WireFormatError("the transcription has no [segments] list, asked for with timestamps")
    return {"text": text, "chunks": [_chunk(as_dict(s, "a segment")) for s in segments]}


def _chunk(segment: dict[str, Any]) -> dict[str, Any]:
    return {"text": segment.get("text"), "timestamp": [segment.get("start"), segment.get("end")]}


_ASKED: dict[str, Callable[[Transcription], bool]] = {
    "task": lambda r: r.translate,
    "generate_parameters": lambda r: bool(r.generate),
    "return_timestamps": lambda r: r.timestamps is not None,
    "language": lambda r: r.language is not None,
    "prompt": lambda r: r.prompt is not None,
    "temperature": lambda r: r.temperature is not None,
}


def refuse_untaken(request: Transcription, *, server: str, takes: Collection[str], words: bool = False) -> None:
    """Refuses a parameter the route has no field for (``takes``: those it has), and word timestamps where the
    route gives segments only.

    Raises:
        BadRequestError: naming the parameter and ``server``.
    """
    for name, asked in _ASKED.items():
        if asked(request) and name not in takes:
            kept = ", ".join(f"[{t}]" for t in takes) or "none"
            raise BadRequestError(
                f"{server} is not sent [parameters.{name}] (of the parameters it takes: {kept}); leave it out, or "
                "use a local endpoint or one on Hugging Face's inference toolkit",
                param=f"parameters.{name}",
            )
    if request.timestamps == "word" and not words:
        raise BadRequestError(
            f"{server} gives segment timestamps only; set [parameters.return_timestamps] to true, or use a local "
            "endpoint for word timestamps",
            param="parameters.return_timestamps",
        )
