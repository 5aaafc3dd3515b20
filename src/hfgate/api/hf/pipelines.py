"""``POST /hf/{id}`` for the Hub's tasks (``hfgate.pipelines``): the Inference API as
``huggingface_hub.InferenceClient`` calls it. JSON ``{"inputs", "parameters"}``, or, for a task whose input
is a file (speech, an image), the file as the raw body with its Content-Type (what the client sends without
parameters) or base64 in ``inputs`` (with them). The answer is the task's JSON, as the client parses it."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from hfgate.api.body import json_object, json_response
from hfgate.orchestrator import Orchestrator
from hfgate.pipelines import pipeline_for
from hfgate.pipelines.files import InputFile
from hfgate.registry.endpoint import Endpoint

JSON_TYPES = ("application/json", "text/json")


async def answer(orch: Orchestrator, endpoint: Endpoint, request: Request) -> Response:
    """The endpoint's task run on the request's body."""
    task = pipeline_for(endpoint.task_type)
    inputs, parameters = await _read(request, binary=task.binary)
    result = await orch.pipeline(endpoint, task.request(inputs, parameters))
    return json_response(result.body)


async def _read(request: Request, *, binary: bool) -> tuple[Any, Any]:
    """``inputs`` and ``parameters``: a file task's body is its file unless it is JSON (said, or, with no
    Content-Type, an object: the client sends raw bytes untyped)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    untyped_json = not content_type and raw.lstrip()[:1] == b"{"
    if binary and content_type not in JSON_TYPES and not untyped_json:
        return InputFile(data=raw, content_type=content_type or None, field="inputs"), None
    body = await json_object(request)
    return body.get("inputs"), body.get("parameters")
