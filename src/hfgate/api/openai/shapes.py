"""OpenAI response objects built from task results."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hfgate import __version__
from hfgate.chat.tools import ToolCallDelta
from hfgate.tasks import FinishReason, FloatRows, Generation, GenerationDelta, Usage

# Sent on every completion, chat completion and chunk, as TGI does: typed clients (text-generation's
# ChatComplete and ChatCompletionChunk) require it. It names the server build that answered.
SYSTEM_FINGERPRINT = f"hfgate-{__version__}"


def new_id(prefix: str) -> str:
    return f"{prefix}-{os.urandom(12).hex()}"  # 24 random hex digits, without building a UUID


def finish(reason: FinishReason | None) -> str | None:
    """OpenAI's finish reasons: ``length``, ``tool_calls``, or ``stop`` for an end token or a stop sequence."""
    if reason is None:
        return None
    return reason if reason in ("length", "tool_calls") else "stop"


def usage(counts: Usage) -> dict[str, Any]:
    """OpenAI's usage; ``completion_tokens_details.reasoning_tokens`` when the upstream counted them."""
    body: dict[str, Any] = {
        "prompt_tokens": counts.prompt_tokens,
        "completion_tokens": counts.completion_tokens,
        "total_tokens": counts.total_tokens,
    }
    if counts.reasoning_tokens is not None:
        body["completion_tokens_details"] = {"reasoning_tokens": counts.reasoning_tokens}
    return body


def embeddings(
    vectors: Sequence[list[float]], *, model: str, counts: Usage, encoding: str, dimensions: int | None
) -> dict[str, Any]:
    """``/v1/embeddings``; ``dimensions`` keeps the first n values, renormalized (Matryoshka-style).

    Float vectors kept whole are passed on as they came (no float32 round trip: an upstream's
    ``-0.03990399`` stays ``-0.03990399``, not ``-0.03990399092435837``, and no copy is made). Base64 of
    a local model's vectors (:class:`FloatRows`) comes from its array's rows: no Python float made.
    """
    if isinstance(vectors, FloatRows) and dimensions is None and encoding == "base64":
        values: list[Any] = [_base64(row) for row in vectors.array]
    else:
        values = [_embedding(vector, encoding=encoding, dimensions=dimensions) for vector in vectors]
    return {
        "object": "list",
        "data": [{"object": "embedding", "embedding": value, "index": i} for i, value in enumerate(values)],
        "model": model,
        "usage": {"prompt_tokens": counts.prompt_tokens, "total_tokens": counts.prompt_tokens},
    }


def _embedding(vector: list[float], *, encoding: str, dimensions: int | None) -> list[float] | str:
    if dimensions is None and encoding == "float":
        return vector
    array = np.asarray(vector, dtype=np.float32)
    if dimensions is not None:
        array = array[:dimensions]
        norm = float(np.linalg.norm(array))
        array = array / norm if norm else array
    return _base64(array) if encoding == "base64" else array.tolist()


def _base64(vector: NDArray[np.float32]) -> str:
    """The vector's little-endian float32 bytes, in base64 (OpenAI's ``encoding_format: base64``)."""
    return base64.b64encode(vector.astype("<f4", copy=False).tobytes()).decode()  # no copy where native is <f4


def completion(results: list[Generation], *, model: str, counts: Usage) -> dict[str, Any]:
    """The completion of one request, a choice per generation (each prompt's ``n`` in turn); ``counts`` its usage."""
    return {
        "id": new_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [
            {"text": r.text, "index": i, "logprobs": None, "finish_reason": finish(r.finish_reason)}
            for i, r in enumerate(results)
        ],
        "usage": usage(counts),
    }


def completion_chunk(
    delta: GenerationDelta, *, chunk_id: str, model: str, created: int, index: int = 0
) -> dict[str, Any]:
    return {
        "id": chunk_id,
        "object": "text_completion",
        "created": created,
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [
            {"text": delta.text, "index": index, "logprobs": None, "finish_reason": finish(delta.finish_reason)}
        ],
    }


def chat_completion(results: list[Generation], *, model: str, counts: Usage) -> dict[str, Any]:
    """The chat completion of one request, a choice per generation (``n``); ``counts`` its usage."""
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [
            {
                "index": i,
                "message": _message(result),
                "logprobs": None,
                "finish_reason": finish(result.finish_reason),
            }
            for i, result in enumerate(results)
        ],
        "usage": usage(counts),
    }


def _message(result: Generation) -> dict[str, Any]:
    """The answer; with tool calls, ``content`` is null when the model wrote no text (as OpenAI sends it).
    A reasoning model's thinking is ``reasoning_content``, as vLLM and the router send it."""
    message: dict[str, Any] = {"role": "assistant", "content": result.text}
    if result.reasoning:
        message["reasoning_content"] = result.reasoning
    if not result.tool_calls:
        return message
    calls = [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in result.tool_calls
    ]
    return message | {"content": result.text or None, "tool_calls": calls}


def tool_call_chunks(
    delta: GenerationDelta, *, chunk_id: str, model: str, created: int, index: int = 0
) -> list[dict[str, Any]]:
    """A delta with tool-call pieces as OpenAI streams them: its text (if any) in a chunk of its own,
    then one chunk per piece, ``{"index", "id", "type", "function": {"name", "arguments": ""}}`` opening
    a call and ``{"index", "function": {"arguments": fragment}}`` after; the finish reason on the last."""
    chunks = [
        chat_chunk(replace(delta, finish_reason=None), chunk_id=chunk_id, model=model, created=created, index=index)
    ]
    chunks = chunks if delta.text or delta.reasoning else []
    for n, piece in enumerate(delta.tool_calls):
        last = n == len(delta.tool_calls) - 1
        chunk = chat_chunk(
            replace(delta, text="", reasoning="", finish_reason=delta.finish_reason if last else None),
            chunk_id=chunk_id,
            model=model,
            created=created,
            index=index,
        )
        chunk["choices"][0]["delta"] = {"role": "assistant", "content": None, "tool_calls": [_call_piece(piece)]}
        chunks.append(chunk)
    return chunks


def _call_piece(piece: ToolCallDelta) -> dict[str, Any]:
    if piece.id is None and piece.name is None:
        return {"index": piece.index, "function": {"arguments": piece.arguments}}
    function = {"name": piece.name, "arguments": piece.arguments}
    return {"index": piece.index, "id": piece.id, "type": "function", "function": function}


def chat_chunk(delta: GenerationDelta, *, chunk_id: str, model: str, created: int, index: int = 0) -> dict[str, Any]:
    """One streamed chat chunk; like TGI, every delta names its role (text-generation's ChoiceDelta
    requires ``role`` and ``tool_calls``). A piece of reasoning is ``reasoning_content`` (``content`` null
    when there is no text beside it), as vLLM streams it."""
    content: dict[str, Any] = {"role": "assistant", "content": delta.text, "tool_calls": None}
    if delta.reasoning:
        content |= {"reasoning_content": delta.reasoning, "content": delta.text or None}
    return {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [{"index": index, "delta": content, "logprobs": None, "finish_reason": finish(delta.finish_reason)}],
    }


def usage_chunk(counts: Usage, *, chunk_id: str, model: str, created: int, kind: str) -> dict[str, Any]:
    """The last chunk when ``stream_options.include_usage`` is set: no choices, the usage."""
    return {
        "id": chunk_id,
        "object": kind,
        "created": created,
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [],
        "usage": usage(counts),
    }


def model_entry(inference_id: str, *, created: int, task_type: str) -> dict[str, Any]:
    return {
        "id": inference_id,
        "object": "model",
        "created": created,
        "owned_by": "hfgate",
        "task_type": task_type,
    }
