"""The Inference Providers that recognise speech, as the fake router plays them under ``/router/{provider}``.

Each hears a file and answers ``heard <n> bytes <sha256 prefix>`` of the exact bytes it received, so a test sees
the request's audio arrive unchanged. Each shape is what huggingface_hub sends and reads (its
``inference/_providers/``), and the provider's own documentation where cited:

- ``POST /fal-ai/{fal id}``: ``{"audio_url": "data:<type>;base64,…", "task"?, "language"?, "chunk_level"?}`` →
  ``{"text", "chunks": [{"text", "timestamp": [start, end]}]}`` (``fal_ai.py``
  ``FalAIAutomaticSpeechRecognitionTask``; https://fal.ai/models/fal-ai/whisper/llms.txt: fal's input and
  output schema). A url that is not a data url, or not base64: 422 (fal's validation error shape,
  ``{"detail": [{"loc", "msg", "type"}]}``).
- ``POST /replicate/v1/models/{owner}/{name}/predictions`` and ``/replicate/v1/predictions`` (with ``version``):
  ``{"input": {"audio": data url}}`` with ``Prefer: wait`` → a finished prediction ``{"id", "status":
  "succeeded", "output": {"transcription", "segments"}}`` (openai/whisper's output on Replicate); without
  ``Prefer: wait``, ``{"status": "starting", "output": null}``, which huggingface_hub reports as timed out
  (``replicate.py``, ``ReplicateTask``, ``ReplicateAutomaticSpeechRecognitionTask``).
- ``POST /deepinfra/v1/openai/audio/transcriptions``: OpenAI's multipart form (``file``, ``model``,
  ``response_format``) → ``{"text"}``, with ``verbose_json`` also ``{"segments": [{"start", "end", "text"}]}``
  (``deepinfra.py``, ``DeepInfraAutomaticSpeechRecognitionTask``; OpenAI's API reference).

A model id the provider does not serve: 400 ``{"error": "Model not supported by provider <name>"}``, as the
embedding routes of ``tests/fakes/router.py`` answer (huggingface.js#2225).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aiohttp import web

from tests.fakes import hf_server as hf

TASK = "automatic-speech-recognition"


def heard(audio: bytes) -> str:
    """What every fake provider transcribes ``audio`` as."""
    return f"heard {len(audio)} bytes {hashlib.sha256(audio).hexdigest()[:12]}"


def _segments(audio: bytes) -> list[dict[str, Any]]:
    return [{"id": 0, "start": 0.0, "end": 1.0, "text": heard(audio)}]


async def serve(request: web.Request, route: str, body: Any) -> web.StreamResponse | None:
    """The answer of a speech route, or ``None`` when ``route`` is none of them."""
    provider, _, rest = route.lstrip("/").partition("/")
    if provider == "fal-ai":
        return _fal(rest, body)
    if provider == "replicate" and rest.startswith("v1/") and rest.endswith("predictions"):
        return _replicate(request, rest, body)
    if provider == "deepinfra" and rest == "v1/openai/audio/transcriptions":
        return await _deepinfra(request)
    return None


def _served(provider: str, model: str) -> bool:
    return any(m.task_of(provider) == TASK and m.provider_id(provider) == model for m in hf.HOSTED.values())


def _unsupported(provider: str) -> web.Response:
    return hf._json({"error": f"Model not supported by provider {provider}"}, status=400)


def _data_url(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value.startswith("data:") or ";base64," not in value:
        return None
    try:
        return base64.b64decode(value.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None


def _fal(model: str, body: Any) -> web.Response:
    if not _served("fal-ai", model):
        return _unsupported("fal-ai")
    audio = _data_url((body or {}).get("audio_url"))
    if audio is None:
        detail = [{"loc": ["body", "audio_url"], "msg": "not a readable audio url", "type": "value_error"}]
        return hf._json({"detail": detail}, status=422)
    chunks = [{"text": s["text"], "timestamp": [s["start"], s["end"]]} for s in _segments(audio)]
    return hf._json({"text": heard(audio), "chunks": chunks})


def _replicate(request: web.Request, rest: str, body: Any) -> web.Response:
    given = body or {}
    model = rest.removeprefix("v1/models/").removesuffix("/predictions")
    if rest == "v1/predictions":
        model = next((m for m in _replicate_ids() if m.endswith(f":{given.get('version')}")), "")
    if not _served("replicate", model):
        return _unsupported("replicate")
    audio = _data_url((given.get("input") or {}).get("audio"))
    if audio is None:
        return hf._json({"detail": "input.audio: a file or url is required", "status": 422}, status=422)
    if request.headers.get("Prefer") != "wait":
        return hf._json({"id": "p1", "status": "starting", "output": None}, status=201)
    output = {"transcription": heard(audio), "segments": _segments(audio), "detected_language": "english"}
    return hf._json({"id": "p1", "model": model, "status": "succeeded", "output": output}, status=201)


def _replicate_ids() -> list[str]:
    return [m.provider_id("replicate") for m in hf.HOSTED.values() if m.task_of("replicate") == TASK]


async def _deepinfra(request: web.Request) -> web.Response:
    kind = request.headers.get("Content-Type", "")
    if not kind.startswith("multipart/form-data"):
        return hf._json({"detail": "expected a multipart/form-data body"}, status=422)
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + await request.read())
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        fields[str(part.get_param("name", header="content-disposition"))] = payload
    if not _served("deepinfra", (fields.get("model") or b"").decode()):
        return _unsupported("deepinfra")
    audio = fields.get("file")
    if not audio:
        return hf._json({"detail": "file: field required"}, status=422)
    answer: dict[str, Any] = {"text": heard(audio)}
    if fields.get("response_format") == b"verbose_json":
        answer |= {"segments": _segments(audio), "language": "english", "duration": 1.0}
    return hf._json(answer)
