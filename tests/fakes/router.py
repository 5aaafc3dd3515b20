"""Hugging Face's Inference Providers router as the fake plays it, under ``/router``.

- ``POST /router/v1/chat/completions``: OpenAI chat; ``model`` is ``id``, ``id:provider`` or ``id:policy``
  (``fastest`` default, ``cheapest``, ``preferred``) (HF docs ``inference-providers/index.md``). The
  provider that answered is named in the ``x-inference-provider`` header (huggingface/chat-ui reads it
  from the router). A model no enabled provider serves: 400 "The requested model 'X' is not supported by
  any provider you have enabled." with code ``model_not_supported`` (cline/cline#5098; the JSON nesting
  is unconfirmed, OpenAI's ``{"error":{…}}`` is used).
- ``POST /router/v1/responses``: OpenAI's Responses API, as ``tests/fakes/router_responses.py`` plays it
  (each behaviour with its source there).
- ``GET /router/v1/models/{id}``: the chat model's providers, each with ``status`` and, "when available",
  ``pricing: {"input", "output"}`` in USD per million tokens (huggingface/hub-docs
  ``docs/inference-providers/hub-api.md``, "List OpenAI-compatible models", commit 0968d835): here the
  prices of :data:`PRICING`; a provider without one (hf-inference here, featherless-ai in the docs' own
  example) has no ``pricing``. A model the router does not list: 404 (its body is unconfirmed).
- ``POST /router/{together,scaleway}/v1/embeddings`` and ``/router/deepinfra/v1/openai/embeddings``:
  ``{"input","model"}`` with the provider's own id → OpenAI's ``data[].embedding`` (huggingface_hub
  ``inference/_providers/{together,scaleway,deepinfra}.py``); another id: 400
  ``{"error":"Model not supported by provider together"}`` (huggingface.js#2225).
- Speech recognition on fal-ai, replicate and deepinfra: ``tests/fakes/speech_providers.py`` (each shape with
  its source there).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes import hf_server as hf
from tests.fakes import router_responses, speech_providers
from tests.fakes.engines import _embeddings

POLICIES = ("fastest", "cheapest", "preferred")
PRICE = {"novita": 0.02, "together": 0.18, "cerebras": 0.1, "hf-inference": 0.0}
PRICING = {"novita": (0.02, 0.05), "together": (0.18, 0.18), "cerebras": (0.1, 0.1)}  # (input, output) USD / M
_EMBEDDING_ROUTES = {
    "/together/v1/embeddings": "together",
    "/scaleway/v1/embeddings": "scaleway",
    "/deepinfra/v1/openai/embeddings": "deepinfra",
}


async def serve(request: web.Request, route: str, body: Any, fault: hf.Fault | None = None) -> web.StreamResponse:
    if route == "/v1/chat/completions":
        return await _chat(request, body)
    if route == "/v1/responses":
        return await router_responses.respond(request, body, fault)
    if route.startswith("/v1/models/"):
        return _model(route.removeprefix("/v1/models/"))
    heard = await speech_providers.serve(request, route, body)
    if heard is not None:
        return heard
    provider = _EMBEDDING_ROUTES.get(route)
    if provider is None:
        return hf._json({"error": "Not Found"}, status=404)
    served = {m.provider_id(provider) for m in hf.HOSTED.values() if m.task_of(provider) == "feature-extraction"}
    if body.get("model") not in served:
        return hf._json({"error": f"Model not supported by provider {provider}"}, status=400)
    return _embeddings(body["model"], body["input"])


async def _chat(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
    model_id, _, suffix = str(body.get("model", "")).partition(":")
    model = hf.HOSTED.get(model_id)
    live = [p for p in (model.live_chat() if model else [])]
    chosen = _choose(live, suffix or "fastest")
    if chosen is None:
        scope = f"provider '{suffix}'" if suffix and suffix not in POLICIES else "any provider you have enabled"
        message = f"The requested model '{model_id}' is not supported by {scope}."
        error = {"message": message, "type": "invalid_request_error", "code": "model_not_supported"}
        return hf._json({"error": error}, status=400)
    response = await hf._chat(request, body | {"model": model_id}, model_id, headers={"x-inference-provider": chosen})
    return response


def _model(model_id: str) -> web.Response:
    model = hf.HOSTED.get(model_id)
    entries = (
        [(p, e) for p in (model.providers or {}) if (e := model.entry(p)) and e[0] == "conversational"] if model else []
    )
    if not entries:
        return hf._json({"error": f"Model {model_id} not found"}, status=404)
    providers = []
    for provider, (_, _, status) in entries:
        entry: dict[str, Any] = {"provider": provider, "status": status, "is_model_author": False}
        if provider in PRICING:
            entry["pricing"] = {"input": PRICING[provider][0], "output": PRICING[provider][1]}
        providers.append(entry)
    return hf._json({"id": model_id, "object": "model", "owned_by": model_id.split("/")[0], "providers": providers})


def _choose(live: list[str], suffix: str) -> str | None:
    if not live:
        return None
    if suffix in ("fastest", "preferred"):
        return live[0]
    if suffix == "cheapest":
        return min(live, key=lambda p: PRICE.get(p, 1.0))
    return suffix if suffix in live else None
