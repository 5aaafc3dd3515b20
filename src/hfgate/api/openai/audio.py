"""``/v1/audio/transcriptions`` and ``/v1/audio/translations``: speech to text as OpenAI's audio API, what
``client.audio.transcriptions.create`` sends (a multipart form).

``model`` is an ``automatic-speech-recognition`` endpoint's id; the form becomes the task's request
(:class:`~hfgate.pipelines.automatic_speech_recognition.Transcription`) and goes through the orchestrator
as ``POST /hf/{id}`` does. A translation is Whisper's ``translate`` task: English text from speech in any
language. ``response_format`` picks the answer's shape (:mod:`~hfgate.api.openai.audio_shapes`).
``stream=true`` (json or text) answers OpenAI's server-sent events, ``transcript.text.delta`` then
``transcript.text.done``, once the whole audio is transcribed (hfgate decodes a long file's windows together,
not one after another, so the text comes at once). Errors come in OpenAI's shape, as on every ``/v1`` route.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import UploadFile
from starlette.responses import StreamingResponse

from hfgate.access.roles import Role
from hfgate.api.body import decode, form_of, json_response
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers, schema
from hfgate.api.openai import audio_shapes as shapes
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.api.sse import SSE_HEADERS
from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.audio import AudioFile
from hfgate.pipelines.automatic_speech_recognition import Transcription
from hfgate.tasks import TaskType

ROUTES = FaceRoutes(OPENAI, tag="OpenAI-compatible", error=answers.OpenAIError)

_TEXT_FORMATS = {"text": "text/plain", "srt": "application/x-subrip", "vtt": "text/vtt"}
_LIST_FIELDS = ("timestamp_granularities[]",)


@ROUTES.post(
    "/v1/audio/transcriptions", role=Role.INFER, body=schema.TranscriptionForm, answer=answers.Transcription, form=True
)
async def transcriptions(request: Request, orch: OrchestratorDep) -> Response:
    """Speech to text in its own language: ``file``, ``model``, ``response_format``, ``language``, ``prompt``,
    ``temperature``, ``timestamp_granularities[]``."""
    fields, file_type = await _form(request)
    form = decode(fields, schema.TranscriptionForm)
    return await _run(
        orch, form, file_type=file_type, language=form.language, granularities=form.timestamp_granularities
    )


@ROUTES.post(
    "/v1/audio/translations", role=Role.INFER, body=schema.TranslationForm, answer=answers.Transcription, form=True
)
async def translations(request: Request, orch: OrchestratorDep) -> Response:
    """Speech in any language to English text (Whisper's translate task): ``file``, ``model``,
    ``response_format``, ``prompt``, ``temperature``."""
    fields, file_type = await _form(request)
    form = decode(fields, schema.TranslationForm)
    return await _run(orch, form, file_type=file_type, translate=True, granularities=["segment"])


async def _form(request: Request) -> tuple[dict[str, Any], str | None]:
    """The multipart (or url-encoded) form's fields, a file as its bytes; and ``file``'s Content-Type."""
    fields: dict[str, Any] = {}
    file_type = None
    async with form_of(request) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                fields[name] = await value.read()
                file_type = value.content_type if name == "file" else file_type
            elif name in _LIST_FIELDS:
                fields.setdefault(name, []).append(value)
            else:
                fields[name] = value
    return fields, file_type


async def _run(
    orch: Orchestrator,
    form: schema.TranslationForm,
    *,
    file_type: str | None,
    granularities: Sequence[str],
    language: str | None = None,
    translate: bool = False,
) -> Response:
    if form.stream and form.response_format not in ("json", "text"):
        raise RequestValidationError(
            [f"a streamed transcription is text events: [response_format] json or text, not [{form.response_format}]"],
            param="response_format",
        )
    endpoint = await orch.endpoint_for(form.model, TaskType.AUTOMATIC_SPEECH_RECOGNITION)
    audio = AudioFile(data=form.file, content_type=file_type, field="file")
    asked = Transcription(
        audio=audio,
        language=language or None,
        translate=translate,
        prompt=form.prompt or None,
        temperature=form.temperature or None,  # 0 is greedy decoding, the default
    )
    timed = _timestamps(form.response_format, granularities)
    try:
        heard = {stamps: await orch.pipeline(endpoint, _with(asked, stamps)) for stamps in timed}
    except BadRequestError as exc:  # a runner names the Inference API's field (parameters.language): name the form's
        if type(exc) is not BadRequestError or not (exc.param or "").startswith("parameters."):
            raise
        raise BadRequestError(exc.reason, param=(exc.param or "").removeprefix("parameters.")) from None
    return _answer(form, heard, task="translate" if translate else "transcribe", language=language)


def _timestamps(response_format: str, granularities: Sequence[str]) -> list[str | None]:
    """The runs a format needs: none for the text alone; one per granularity asked for verbose_json."""
    if response_format in ("json", "text"):
        return [None]
    if response_format in ("srt", "vtt"):
        return ["segment"]
    return list(dict.fromkeys(granularities)) or ["segment"]


def _with(asked: Transcription, stamps: str | None) -> Transcription:
    return Transcription(
        audio=asked.audio, timestamps=stamps, language=asked.language, translate=asked.translate,
        prompt=asked.prompt, temperature=asked.temperature,
    )  # fmt: skip


def _answer(
    form: schema.TranslationForm, heard: dict[str | None, PipelineAnswer], *, task: str, language: str | None
) -> Response:
    first = next(iter(heard.values()))
    seconds = first.audio_seconds
    text = str(first.body["text"]).strip()
    if form.stream:
        return StreamingResponse(iter(shapes.text_events(text)), media_type="text/event-stream", headers=SSE_HEADERS)
    fmt = form.response_format
    if fmt == "json":
        return json_response({"text": text, "usage": shapes.usage(seconds)})
    if fmt == "verbose_json":
        timed = {k: shapes.spans(v.body, seconds=seconds) for k, v in heard.items()}
        said = "english" if task == "translate" else (language or "unknown")
        return json_response(
            shapes.verbose(text, task=task, language=said, seconds=seconds, segments=timed.get("segment"),
                           words=timed.get("word"), temperature=form.temperature or 0.0)
        )  # fmt: skip
    if fmt == "text":
        body = text + "\n"
    else:
        segments = shapes.spans(first.body, seconds=seconds)
        body = shapes.srt(segments) if fmt == "srt" else shapes.vtt(segments)
    return Response(body, media_type=_TEXT_FORMATS[fmt])
