"""A real HTTP server on 127.0.0.1 that speaks Hugging Face's recorded protocols, with injectable faults.

One aiohttp server, in its own thread and event loop, plays every upstream hfgate talks to, each under
its own path prefix:

- ``/hf-inference/models/{id}…``  the hosted router (feature-extraction, sentence-similarity,
  text-generation, text2text-generation, ``/v1/chat/completions``);
- ``/hub/api/models/{id}``        the Hub's model info;
- ``/endpoints/v2/endpoint/{ns}`` the Inference Endpoints management API;
- ``/tei``, ``/tei-rerank``, ``/tgi``, ``/t2t``  a TEI embedding server, a TEI reranker, a TGI server
  and a text2text server (``POST /``, ``/info``, ``/rerank``, ``/v1/chat/completions``, SSE).

Faults are queued per path prefix and consumed one per matching request: an HTTP status with a body
and headers (429 with Retry-After, 503 loading with estimated_time, 500…), a delay (timeouts), a reset
connection, malformed JSON, or another embedding shape (1-D, 3-D, ``{"embeddings"}``). A body larger
than ``body_limit`` gets TEI's plain-text 413. Every request is recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.threaded_server import ThreadedServer

TOKEN = "hf_test_token"
DIMENSIONS = 8
TEI_MAX_INPUT_LENGTH = 512
REPLICATE_VERSION = "8099696689d249cf8b122d833c36ac3f75505c"  # a model id with a version: owner/name:version


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour, used by the next request under its prefix."""

    status: int = 0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False
    raw: bytes | None = None
    shape: str | None = None  # "1d", "3d", "dict" for embeddings
    stream_error_after: int | None = None
    stream_closed_after: int | None = None  # the router's Responses stream ends cleanly after N events

    @staticmethod
    def rate_limited(retry_after: float | None = None) -> Fault:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return Fault(status=429, body={"error": "Rate limit reached. Please retry later."}, headers=headers)

    @staticmethod
    def loading(model: str, estimated_time: float) -> Fault:
        body = {"error": f"Model {model} is currently loading", "estimated_time": estimated_time}
        return Fault(status=503, body=body)

    @staticmethod
    def server_error(status: int = 500) -> Fault:
        return Fault(status=status, body={"error": "Internal error", "error_type": "Backend"})

    @staticmethod
    def malformed() -> Fault:
        return Fault(raw=b'{"not json": ')


@dataclass(slots=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(slots=True)
class HostedModel:
    """A model the fake Hub knows and the fake router serves.

    ``providers`` is the Hub's ``inferenceProviderMapping`` in order: provider → task, or
    (task, providerId, status) (HF docs ``hub-api.md``; huggingface_hub ``hf_api.py``).
    """

    pipeline_tag: str | None
    behaviour: str  # embedding, similarity, generation, text2text, chat-only, speech
    inference_off: bool = False
    providers: dict[str, str | tuple[str, str, str]] | None = None

    def entry(self, provider: str) -> tuple[str, str, str] | None:
        found = (self.providers or {}).get(provider)
        return found if isinstance(found, tuple) or found is None else (found, "", "live")

    def task_of(self, provider: str) -> str | None:
        found = self.entry(provider)
        return found[0] if found else None

    def provider_id(self, provider: str) -> str:
        found = self.entry(provider)
        return (found[1] if found else "") or ""

    def live_chat(self) -> list[str]:
        return [p for p in self.providers or {} if (e := self.entry(p)) and e[0] == "conversational" and e[2] == "live"]


HOSTED: dict[str, HostedModel] = {
    "BAAI/bge-small-en-v1.5": HostedModel(
        "feature-extraction", "embedding", providers={"hf-inference": "feature-extraction"}
    ),
    "sentence-transformers/all-MiniLM-L6-v2": HostedModel("sentence-similarity", "similarity"),
    "gpt2": HostedModel("text-generation", "generation", providers={"hf-inference": "text-generation"}),
    "google/flan-t5-small": HostedModel("text2text-generation", "text2text"),
    "HuggingFaceTB/SmolLM2-135M-Instruct": HostedModel(
        "text-generation", "chat-only", providers={"hf-inference": "conversational"}
    ),
    "meta/closed-model": HostedModel("text-generation", "generation", inference_off=True),
    "other/provider-only": HostedModel("text-generation", "generation", providers={"together": "conversational"}),
    "meta-llama/Llama-3.1-8B-Instruct": HostedModel(
        "text-generation",
        "chat-only",
        providers={
            "cerebras": ("conversational", "llama3.1-8b", "error"),
            "together": ("conversational", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "live"),
            "novita": ("conversational", "meta-llama/llama-3.1-8b-instruct", "live"),
        },
    ),
    "intfloat/multilingual-e5-large": HostedModel(
        "feature-extraction",
        "embedding",
        providers={
            "together": ("feature-extraction", "intfloat/multilingual-e5-large-instruct", "live"),
            "hf-inference": ("feature-extraction", "intfloat/multilingual-e5-large", "live"),
        },
    ),
    "Qwen/Qwen3-Embedding-8B": HostedModel(
        "feature-extraction",
        "embedding",
        providers={"nebius": ("feature-extraction", "Qwen/Qwen3-Embedding-8B", "live")},
    ),
    "openai/clip-vit-base-patch32": HostedModel("zero-shot-image-classification", "embedding"),
    # Speech recognition on the providers of tests/fakes/speech_providers.py (replicate's id with a version).
    "openai/whisper-large-v3": HostedModel(
        "automatic-speech-recognition",
        "speech",
        providers={
            "fal-ai": ("automatic-speech-recognition", "fal-ai/whisper", "live"),
            "replicate": (
                "automatic-speech-recognition",
                "openai/whisper:8099696689d249cf8b122d833c36ac3f75505c",
                "live",
            ),
            "deepinfra": ("automatic-speech-recognition", "openai/whisper-large-v3", "live"),
        },
    ),
    "openai/whisper-small": HostedModel(
        "automatic-speech-recognition",
        "speech",
        providers={"replicate": ("automatic-speech-recognition", "openai/whisper-small", "live")},
    ),
}


def vector_for(text: str) -> list[float]:
    """A deterministic embedding, so that tests can check order and content."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(b / 255.0, 6) for b in digest[:DIMENSIONS]]


def tokens_of(text: str) -> list[str]:
    return text.split() or [text]


def answer_for(prompt: str) -> list[str]:
    """The tokens a fake model generates for ``prompt``."""
    return [f" w{i}" for i in range(len(tokens_of(prompt)) + 3)]


class FakeHF(ThreadedServer):
    """The server. ``start()`` returns its base url; ``stop()`` frees the port.

    Example:
        >>> # server = FakeHF(); base = server.start(); ...; server.stop()
    """

    thread_name = "fake-hf"
    client_max_size = 64 * 1024 * 1024

    def __init__(self) -> None:
        super().__init__()
        self.faults: dict[str, deque[Fault]] = {}
        self.requests: list[Recorded] = []
        self.body_limit = 2 * 1024 * 1024
        self.namespaces: dict[str, list[dict[str, Any]]] = {}
        self.tei_batch_size = 32

    # -- control ------------------------------------------------------------------------------------

    def inject(self, prefix: str, *faults: Fault) -> None:
        self.faults.setdefault(prefix, deque()).extend(faults)

    def reset(self) -> None:
        self.faults.clear()
        self.requests.clear()
        self.body_limit = 2 * 1024 * 1024
        self.namespaces.clear()
        self.tei_batch_size = 32

    def hits(self, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    # -- dispatch -----------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = orjson.loads(raw) if raw and raw[:1] in b"[{" else None
        path = request.path
        self.requests.append(Recorded(request.method, path, dict(request.headers), body))
        fault = self._next_fault(path)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.reset:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if fault is not None and fault.status:
            return _json(fault.body, status=fault.status, headers=fault.headers)
        if fault is not None and fault.raw is not None:
            return web.Response(body=fault.raw, content_type="application/json")
        if len(raw) > self.body_limit:
            return web.Response(status=413, text="Payload Too Large", content_type="text/plain")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json({"error": "Invalid credentials in Authorization header"}, status=401)
        return await self._route(request, path, body, fault)

    def _next_fault(self, path: str) -> Fault | None:
        for prefix, queue in self.faults.items():
            if path.startswith(prefix) and queue:
                return queue.popleft()
        return None

    async def _route(self, request: web.Request, path: str, body: Any, fault: Fault | None) -> web.StreamResponse:
        if path.startswith("/hub/api/models/"):
            return self._model_info(path.removeprefix("/hub/api/models/"))
        if path.startswith("/endpoints/v2/endpoint/"):
            return self._endpoints(path.removeprefix("/endpoints/v2/endpoint/"))
        if path.startswith("/hf-inference/models/"):
            return await self._hosted(request, path.removeprefix("/hf-inference/models/"), body, fault)
        from tests.fakes import engines, router  # they use this module's helpers

        if path.startswith("/router/"):
            return await router.serve(request, path.removeprefix("/router"), body, fault)
        server, _, route = path.lstrip("/").partition("/")
        answered = await engines.serve(request, server, "/" + route, body)
        if answered is not None:
            return answered
        return await self._server(request, server, "/" + route, body, fault)

    # -- Hub and endpoints API ----------------------------------------------------------------------

    def _model_info(self, model_id: str) -> web.Response:
        model = HOSTED.get(model_id)
        if model is None:
            return _json({"error": "Repository not found"}, status=404)
        info: dict[str, Any] = {"id": model_id, "_id": "abc", "cardData": {}}
        if model.pipeline_tag:
            info["pipeline_tag"] = model.pipeline_tag
        if model.inference_off:
            info["cardData"] = {"inference": False}
        if model.providers is not None:
            mapping = {p: model.entry(p) or ("", "", "") for p in model.providers}
            info["inferenceProviderMapping"] = {
                p: {"status": status, "providerId": pid or model_id, "task": task, "isModelAuthor": False}
                for p, (task, pid, status) in mapping.items()
            }
        return _json(info)

    def _endpoints(self, namespace: str) -> web.Response:
        if namespace not in self.namespaces:
            return _json({"error": "Namespace not found"}, status=404)
        return _json({"items": self.namespaces[namespace]})

    # -- hosted router ------------------------------------------------------------------------------

    async def _hosted(self, request: web.Request, rest: str, body: Any, fault: Fault | None) -> web.StreamResponse:
        for suffix, kind in (
            ("/pipeline/feature-extraction", "embed"),
            ("/pipeline/sentence-similarity", "similarity"),
            ("/v1/chat/completions", "chat"),
        ):
            if rest.endswith(suffix):
                return await self._hosted_task(request, rest.removesuffix(suffix), kind, body, fault)
        return await self._hosted_task(request, rest, "model", body, fault)

    async def _hosted_task(
        self, request: web.Request, model_id: str, kind: str, body: Any, fault: Fault | None
    ) -> web.StreamResponse:
        model = HOSTED.get(model_id)
        if model is None:
            return _json({"error": f"Model {model_id} does not exist"}, status=404)
        if kind == "embed" and model.behaviour in ("embedding", "similarity"):
            return _json(_embeddings(body["inputs"], fault))
        if kind == "similarity" and model.behaviour == "similarity":
            return _json(_similarity(body["inputs"]))
        if kind == "chat" and model.behaviour in ("chat-only", "generation"):
            return await _chat(request, body, model_id)
        if kind == "model" and model.behaviour == "generation":
            return await _generate(request, body, fault, listed=True)
        if kind == "model" and model.behaviour == "text2text":
            return _text2text(body)
        return _json({"error": f"Model {model_id} does not support task {kind}"}, status=400)

    # -- TEI / TGI servers --------------------------------------------------------------------------

    async def _server(
        self, request: web.Request, server: str, route: str, body: Any, fault: Fault | None
    ) -> web.StreamResponse:
        handler = {
            ("tei", "/info"): lambda: _json(_tei_info("embedding", self.tei_batch_size)),
            ("tei-rerank", "/info"): lambda: _json(_tei_info("reranker", self.tei_batch_size)),
            ("tgi", "/info"): lambda: _json(_tgi_info()),
        }.get((server, route))
        if handler is not None:
            return handler()
        if server == "tei" and route in ("/", "/embed"):
            if len(body["inputs"]) > self.tei_batch_size:
                msg = f"batch size {len(body['inputs'])} > maximum allowed batch size {self.tei_batch_size}"
                return _json({"error": msg, "error_type": "Validation"}, status=422)
            return _tei_embed(body, fault)
        if server == "tei-rerank" and route in ("/", "/rerank"):
            return _json(_rerank(body))
        if server == "tgi" and route in ("/", "/generate", "/generate_stream"):
            return await _generate(request, body, fault, listed=route == "/", force_stream=route == "/generate_stream")
        if server == "tgi" and route == "/v1/chat/completions":
            return await _chat(request, body, "tgi")
        if server == "t2t" and route == "/":
            return _text2text(body)
        return _json({"error": "Not Found"}, status=404)


# -- protocol answers -------------------------------------------------------------------------------


def _json(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, headers=headers, content_type="application/json")


def _embeddings(inputs: Any, fault: Fault | None) -> Any:
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    shape = fault.shape if fault is not None else None
    if shape == "1d" and len(texts) == 1:
        return vector_for(texts[0])
    if shape == "3d":
        # Per-token vectors whose mean is the text's vector: [v - d, v + d] for each text.
        return [[[x - 0.5 for x in vector_for(t)], [x + 0.5 for x in vector_for(t)]] for t in texts]
    vectors = [vector_for(t) for t in texts]
    return {"embeddings": vectors} if shape == "dict" else vectors


def _tei_embed(body: dict[str, Any], fault: Fault | None) -> web.Response:
    """TEI's ``/embed``: an input past ``max_input_length`` is refused unless ``truncate`` is set (TEI
    ``router/src/http/server.rs``: a validation error, 422 since v1.9; only documented, TEI does not
    install here)."""
    longest = _longest(body["inputs"])
    if not body.get("truncate") and longest > TEI_MAX_INPUT_LENGTH:
        msg = f"Input validation error: `inputs` must have less than {TEI_MAX_INPUT_LENGTH} tokens. Given: {longest}"
        return _json({"error": msg, "error_type": "Validation"}, status=422)
    return _json(_embeddings(_truncated(body), fault))


def _longest(inputs: Any) -> int:
    return max(len(tokens_of(t)) for t in ([inputs] if isinstance(inputs, str) else inputs))


def _truncated(body: dict[str, Any]) -> Any:
    """TEI's ``truncate: true``: each input cut to ``max_input_length`` tokens."""
    inputs = body["inputs"]
    if not body.get("truncate"):
        return inputs
    cut = [" ".join(tokens_of(t)[:TEI_MAX_INPUT_LENGTH]) if _longest(t) > TEI_MAX_INPUT_LENGTH else t for t in inputs]
    return cut[0] if isinstance(inputs, str) else cut


def _similarity(inputs: dict[str, Any]) -> list[float]:
    query = set(inputs["source_sentence"].lower().split())
    return [len(query & set(s.lower().split())) / (1 + len(s.split())) for s in inputs["sentences"]]


def _rerank(body: dict[str, Any]) -> list[dict[str, Any]]:
    scores = _similarity({"source_sentence": body["query"], "sentences": body["texts"]})
    hits = [{"index": i, "score": s} for i, s in enumerate(scores)]
    if body.get("return_text"):
        for hit in hits:
            hit["text"] = body["texts"][hit["index"]]
    return sorted(hits, key=lambda h: -h["score"])


def _tei_info(kind: str, batch: int) -> dict[str, Any]:
    model_type = {"embedding": {"pooling": "cls"}} if kind == "embedding" else {"reranker": {"id2label": {}}}
    return {
        "model_id": "BAAI/bge-small-en-v1.5" if kind == "embedding" else "BAAI/bge-reranker-base",
        "model_sha": None,
        "model_dtype": "float32",
        "model_type": model_type,
        "max_concurrent_requests": 512,
        "max_input_length": TEI_MAX_INPUT_LENGTH,
        "max_batch_tokens": 16384,
        "max_batch_requests": None,
        "max_client_batch_size": batch,
        "auto_truncate": False,
        "tokenization_workers": 2,
        "version": "1.9.0",
    }


def _tgi_info() -> dict[str, Any]:
    return {
        "model_id": "HuggingFaceTB/SmolLM2-135M-Instruct",
        "model_pipeline_tag": "text-generation",
        "max_input_tokens": 4095,
        "max_total_tokens": 4096,
        "max_client_batch_size": 4,
        "version": "3.3.4",
    }


def _generated(body: dict[str, Any]) -> tuple[list[str], str]:
    params = body.get("parameters") or {}
    tokens = answer_for(body["inputs"])
    limit = params.get("max_new_tokens") or 20
    if len(tokens) > limit:
        return tokens[:limit], "length"
    return tokens, "eos_token"


async def _generate(
    request: web.Request,
    body: dict[str, Any],
    fault: Fault | None,
    *,
    listed: bool,
    force_stream: bool = False,
) -> web.StreamResponse:
    params = body.get("parameters") or {}
    unknown = [k for k in params if k not in _TGI_PARAMS]
    if unknown:
        return _json(
            {"error": f"Input validation error: unknown parameters {unknown}", "error_type": "validation"},
            status=422,
        )
    tokens, reason = _generated(body)
    prefix = "" if params.get("return_full_text") is False else body["inputs"]
    if body.get("stream") or force_stream:
        return await _generate_stream(request, tokens, reason, prefix, fault)
    details = {
        "finish_reason": reason,
        "generated_tokens": len(tokens),
        "seed": None,
        "prefill": [],
        "tokens": [],
    }
    item = {"generated_text": prefix + "".join(tokens), "details": details if params.get("details") else None}
    return _json([item] if listed else item)


_TGI_PARAMS = {
    *("best_of", "decoder_input_details", "details", "do_sample", "frequency_penalty", "grammar"),
    *("max_new_tokens", "repetition_penalty", "return_full_text", "seed", "stop", "temperature", "top_k"),
    *("top_n_tokens", "top_p", "truncate", "typical_p", "watermark", "adapter_id"),
}


async def _generate_stream(
    request: web.Request, tokens: list[str], reason: str, prefix: str, fault: Fault | None
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    for index, text in enumerate(tokens):
        if fault is not None and fault.stream_error_after == index:
            error = {
                "error": "Request failed during generation: CUDA out of memory",
                "error_type": "generation",
            }
            await response.write(b"data:" + orjson.dumps(error) + b"\n\n")
            return response
        last = index == len(tokens) - 1
        event = {
            "index": index + 1,
            "token": {"id": 100 + index, "text": text, "logprob": -0.5, "special": False},
            "generated_text": prefix + "".join(tokens) if last else None,
            "details": {"finish_reason": reason, "generated_tokens": len(tokens), "seed": None} if last else None,
        }
        await response.write(b"data:" + orjson.dumps(event) + b"\n\n")
    await response.write_eof()
    return response


def _text2text(body: dict[str, Any]) -> web.Response:
    params = body.get("parameters") or {}
    unused = [k for k in ("details", "return_full_text", "decoder_input_details") if k in params]
    if unused:
        msg = (
            f"The following `model_kwargs` are not used by the model: {unused} (note: typos in the "
            "generate arguments will also show up in this list)"
        )
        return _json({"error": msg}, status=400)
    tokens, _ = _generated(body)
    return _json([{"generated_text": "".join(tokens).strip()}])


async def _chat(
    request: web.Request, body: dict[str, Any], model: str, *, headers: dict[str, str] | None = None
) -> web.StreamResponse:
    prompt = " ".join(_text_of(m.get("content")) for m in body["messages"])
    tool = _called_tool(body)
    if tool is not None:
        return await _tool_call(request, body, model, tool, prompt=prompt, headers=headers)
    tokens, reason = _generated({"inputs": prompt, "parameters": {"max_new_tokens": body.get("max_tokens")}})
    finish = "length" if reason == "length" else "stop"
    usage = {"prompt_tokens": len(tokens_of(prompt)), "completion_tokens": len(tokens), "total_tokens": 0}
    base = {"id": "chatcmpl-1", "created": int(time.time()), "model": model}
    if not body.get("stream"):
        message = {"role": "assistant", "content": "".join(tokens)}
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return _json(base | {"object": "chat.completion", "choices": [choice], "usage": usage}, headers=headers)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", **(headers or {})})
    await response.prepare(request)
    for index, text in enumerate(tokens):
        last = index == len(tokens) - 1
        choice = {
            "index": 0,
            "delta": {"role": "assistant", "content": text},
            "finish_reason": finish if last else None,
        }
        await response.write(
            b"data: " + orjson.dumps(base | {"object": "chat.completion.chunk", "choices": [choice]}) + b"\n\n"
        )
    if (body.get("stream_options") or {}).get("include_usage"):
        chunk = base | {"object": "chat.completion.chunk", "choices": [], "usage": usage}
        await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


# Tool calling, as OpenAI-compatible servers answer it (the router, vLLM with --enable-auto-tool-choice,
# SGLang with --tool-call-parser, TGI 3.x, llama.cpp with --jinja). The fake calls a tool when the request
# declares tools and does not say ``tool_choice: "none"``: the named one, else the first.
# - whole: ``message: {"role": "assistant", "content": null, "tool_calls": [{"id", "type": "function",
#   "function": {"name", "arguments": "<JSON text>"}}]}``, ``finish_reason: "tool_calls"`` (OpenAI's Chat
#   Completions reference; vLLM ``vllm/entrypoints/openai/protocol.py`` ``ToolCall``/``FunctionCall``);
# - streamed: a first chunk ``delta.tool_calls: [{"index": 0, "id", "type": "function", "function":
#   {"name", "arguments": ""}}]``, then chunks ``[{"index": 0, "function": {"arguments": fragment}}]``,
#   then ``delta: {}`` with ``finish_reason: "tool_calls"`` (OpenAI's function-calling guide, "Streaming";
#   vLLM ``DeltaToolCall``; TGI's spec as huggingface_hub types it, ``ChatCompletionStreamOutputDeltaToolCall``).
# Image parts (``{"type": "image_url", "image_url": {"url"}}``) are read as no text; the request is
# recorded, so a test sees them arrive unchanged (the router and vLLM take them for vision models).
FAKE_CALL_ID = "call_fake0"


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _called_tool(body: dict[str, Any]) -> str | None:
    tools, choice = body.get("tools") or [], body.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        return str(choice["function"]["name"])
    return str(tools[0]["function"]["name"])


async def _tool_call(
    request: web.Request, body: dict[str, Any], model: str, tool: str, *, prompt: str,
    headers: dict[str, str] | None,
) -> web.StreamResponse:  # fmt: skip
    arguments = orjson.dumps({"asked": prompt}).decode()
    usage = {"prompt_tokens": len(tokens_of(prompt)), "completion_tokens": 7, "total_tokens": 0}
    base = {"id": "chatcmpl-1", "created": int(time.time()), "model": model}
    call = {"id": FAKE_CALL_ID, "type": "function", "function": {"name": tool, "arguments": arguments}}
    if not body.get("stream"):
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
        return _json(base | {"object": "chat.completion", "choices": [choice], "usage": usage}, headers=headers)
    third = max(1, len(arguments) // 3)
    pieces = [arguments[i : i + third] for i in range(0, len(arguments), third)]
    deltas: list[dict[str, Any]] = [
        {"role": "assistant", "tool_calls": [{"index": 0, "id": FAKE_CALL_ID, "type": "function",
                                              "function": {"name": tool, "arguments": ""}}]},
        *({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]} for piece in pieces),
    ]  # fmt: skip
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", **(headers or {})})
    await response.prepare(request)
    for delta in [*deltas, {}]:
        finish = "tool_calls" if not delta else None
        chunk = base | {
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
    if (body.get("stream_options") or {}).get("include_usage"):
        chunk = base | {"object": "chat.completion.chunk", "choices": [], "usage": usage}
        await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response
