"""A reasoning model's chat answers, as OpenAI-compatible servers give them: the thinking apart from the
answer (what no CPU-runnable engine here produces, so the fake plays it).

- vLLM with ``--reasoning-parser`` (0.11 and later) names it ``reasoning``: ``message.reasoning`` in a whole
  answer, ``delta.reasoning`` in a stream (vLLM ``vllm/entrypoints/openai/chat_completion/protocol.py``
  ``ChatMessage.reasoning``, ``vllm/entrypoints/openai/engine/protocol.py`` ``DeltaMessage.reasoning``); its
  ``UsageInfo`` has no ``completion_tokens_details``.
- vLLM before 0.11, and the providers behind Hugging Face's router (DeepSeek's API among them), name it
  ``reasoning_content`` (vLLM's ``docs/features/reasoning_outputs.md``: "``reasoning`` used to be called
  ``reasoning_content``"); such a server counts the thinking in ``usage.completion_tokens_details.
  reasoning_tokens``, as OpenAI's Chat Completions reference defines it.

The thinking streams first, one word a chunk with ``content`` absent, then the answer. The answer is the
fake model's usual one (``hf_server.answer_for``); the thinking is :data:`THOUGHT` and the prompt's first word.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from aiohttp import web

from tests.fakes import hf_server as hf

THOUGHT = "Let me think about"


def thinking_for(prompt: str) -> str:
    return f"{THOUGHT} {hf.tokens_of(prompt)[0]}."


async def reasoning_chat(request: web.Request, body: dict[str, Any], model: str, *, field: str) -> web.StreamResponse:
    """The answer of a reasoning model whose server names its thinking ``field``."""
    prompt = " ".join(hf._text_of(m.get("content")) for m in body["messages"])
    thought = thinking_for(prompt).split(" ")
    tokens, reason = hf._generated({"inputs": prompt, "parameters": {"max_new_tokens": body.get("max_tokens")}})
    usage: dict[str, Any] = {
        "prompt_tokens": len(hf.tokens_of(prompt)),
        "completion_tokens": len(thought) + len(tokens),
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    if field == "reasoning_content":
        usage["completion_tokens_details"] = {"reasoning_tokens": len(thought)}
    finish = "length" if reason == "length" else "stop"
    base = {"id": "chatcmpl-r1", "created": int(time.time()), "model": model}
    if not body.get("stream"):
        message = {"role": "assistant", "content": "".join(tokens), field: " ".join(thought)}
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return hf._json(base | {"object": "chat.completion", "choices": [choice], "usage": usage})
    deltas = [{field: (" " if i else "") + word} for i, word in enumerate(thought)]
    deltas += [{"content": text} for text in tokens]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for index, delta in enumerate(deltas):
        last = index == len(deltas) - 1
        choice = {"index": 0, "delta": {"role": "assistant", **delta}, "finish_reason": finish if last else None}
        await _write(response, base | {"object": "chat.completion.chunk", "choices": [choice]})
    if (body.get("stream_options") or {}).get("include_usage"):
        await _write(response, base | {"object": "chat.completion.chunk", "choices": [], "usage": usage})
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


async def _write(response: web.StreamResponse, chunk: dict[str, Any]) -> None:
    await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
