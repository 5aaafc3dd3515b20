"""A stand-in coding model behind an OpenAI-compatible server, for the agent CLIs' tool turn.

No model that runs here on a CPU in seconds calls a shell tool reliably from an agent's 20,000-token
prompt, so the tests that drive Claude Code, Codex and Gemini CLI with their own tools on put this
deterministic model behind a ``hugging_face`` endpoint by url. It plays the turn every agent needs:

1. a conversation whose last turn is not a tool result, with a shell tool among ``tools``: one call of that
   tool running :data:`COMMAND` (its arguments built from the tool's own JSON Schema, so Claude Code's
   ``Bash``, Codex's ``exec_command`` or ``shell`` and Gemini CLI's ``run_shell_command`` all work);
2. a conversation that ends with the tool's result: the answer ``The command printed: <result>``;
3. anything else: a plain sentence.

The wire shape is vLLM's (``/v1/models`` with ``owned_by: vllm`` and ``max_model_len``, so hfgate detects
the engine; ``/v1/chat/completions`` whole or streamed, tool calls in OpenAI's chat shape, usage in the
last chunk when ``stream_options.include_usage`` asks: a token per word, 12 written, the system prompt's words
as ``prompt_tokens_details.cached_tokens``), as in ``tests/fakes/reasoning_chat.py``. Every
chat request is kept in :attr:`CodingModel.requests`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.threaded_server import ThreadedServer

MODEL = "stand-in-coder"
WINDOW = 131072
COMMAND = "echo hfgate-tool-turn"
OUTPUT = "hfgate-tool-turn"
"""What :data:`COMMAND` prints: an answer holding it was made from the tool's real result."""
ANSWER = "The command printed: "
SHELL_TOOLS = ("Bash", "exec_command", "shell", "shell_command", "local_shell", "run_shell_command")


class CodingModel(ThreadedServer):
    thread_name = "coding-model"
    client_max_size = 64 * 1024**2  # an agent's conversation with its tool schemas

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.pause = 0.0
        """Seconds between two streamed chunks (a real model's pace; 0: all at once)."""

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/v1/models":
            model = {"id": MODEL, "object": "model", "owned_by": "vllm", "max_model_len": WINDOW}
            return web.json_response({"object": "list", "data": [model]})
        if request.method == "POST" and request.path == "/v1/chat/completions":
            body = await request.json(loads=orjson.loads)
            self.requests.append(body)
            return await _answer(request, body, pause=self.pause)
        return web.json_response({"error": f"no route {request.method} {request.path}"}, status=404)


def turn(body: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The model's turn: ``(text, None)`` or ``("", tool call)``."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        return ANSWER + _text(last.get("content")).strip(), None
    tool = next((t["function"] for t in body.get("tools") or [] if t.get("function", {}).get("name") in SHELL_TOOLS),
                None)  # fmt: skip
    if tool is None:
        return "I am a stand-in model and can only run one shell command.", None
    arguments = _arguments(tool.get("parameters") or {})
    call = {
        "id": f"call_{len(messages)}",
        "type": "function",
        "function": {"name": tool["name"], "arguments": arguments},
    }
    return "", call


def _arguments(schema: dict[str, Any]) -> str:
    properties = schema.get("properties") or {}
    values: dict[str, Any] = {}
    for name in ("command", "cmd"):
        kind = (properties.get(name) or {}).get("type")
        if kind == "array":
            values[name] = ["bash", "-lc", COMMAND]
        elif name in properties:
            values[name] = COMMAND
    for name in schema.get("required") or []:
        if name not in values and (properties.get(name) or {}).get("type") == "string":
            values[name] = "Print a word"  # Bash's and run_shell_command's description, say
    return orjson.dumps(values).decode()


def cached_words(body: dict[str, Any]) -> int:
    """The prompt tokens the stand-in reports as served from its prefix cache: its system messages' words."""
    messages = body.get("messages") or []
    return sum(len(_text(m.get("content")).split()) for m in messages if m.get("role") == "system")


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


async def _answer(request: web.Request, body: dict[str, Any], *, pause: float) -> web.StreamResponse:
    text, call = turn(body)
    finish = "tool_calls" if call else "stop"
    prompt = sum(len(_text(m.get("content")).split()) for m in body.get("messages") or [])
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": 12, "total_tokens": prompt + 12}
    if cached := cached_words(body):  # vLLM's prefix cache holds the system prompt (prompt_tokens_details)
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    base = {"id": f"chatcmpl-{int(time.time() * 1000)}", "created": int(time.time()), "model": MODEL}
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if call:
            message["tool_calls"] = [call]
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return web.json_response(base | {"object": "chat.completion", "choices": [choice], "usage": usage})
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if call:
        deltas.append({"tool_calls": [{"index": 0, **call}]})
    else:
        deltas += _words(text)
    for index, delta in enumerate(deltas):
        last = index == len(deltas) - 1
        choice = {"index": 0, "delta": delta, "finish_reason": finish if last else None}
        await _write(response, base | {"object": "chat.completion.chunk", "choices": [choice]})
        await asyncio.sleep(pause)
    if (body.get("stream_options") or {}).get("include_usage"):
        await _write(response, base | {"object": "chat.completion.chunk", "choices": [], "usage": usage})
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


def _words(text: str) -> list[dict[str, Any]]:
    """The answer in pieces a word long, spaces kept, as a server streams it."""
    words = text.split(" ")
    return [{"content": (" " if i else "") + word} for i, word in enumerate(words)]


async def _write(response: web.StreamResponse, chunk: dict[str, Any]) -> None:
    await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
