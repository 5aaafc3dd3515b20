"""``POST /router/v1/responses``: the router's Responses API as the fake plays it.

Each behaviour and its source:
- The route, for every chat model the router serves; function tools; streamed ``response.*`` events
  (HF docs ``inference-providers/guides/responses-api.md``).
- The server behind it is huggingface/responses.js (``chart/env/prod.yaml`` serves router.huggingface.co):
  - stateless: ``previous_response_id`` and ``store`` are commented out of its request schema
    (``src/schemas.ts``) and zod drops unknown keys, so they are ignored; there is no GET / DELETE route
    (``src/server.ts``; README: "stateful API" not implemented). The fake answers from ``input`` alone.
  - a missing ``model`` or ``input``: 400 ``{"success": false, "error": [<zod issues>], "details": […]}``
    (``src/middleware/validation.ts``).
  - stream framing: ``data: {json}\\n\\n`` per event, no ``event:`` line, no ``[DONE]``; sequence numbers
    from 0; ``response.created``, ``response.in_progress``, then per item ``response.output_item.added``;
    for text ``response.content_part.added``, ``response.output_text.delta``…, ``response.output_text.done``,
    ``response.content_part.done``; for a function call (``id`` ``fc_…``, ``call_id`` the provider's call
    id) ``response.function_call_arguments.delta``…, ``response.function_call_arguments.done``; each item
    then ``response.output_item.done`` with ``status: completed``; last ``response.completed`` with the
    whole response (``src/routes/responses.ts``).
  - a whole answer is the final response object; the response echoes ``instructions``,
    ``max_output_tokens``, ``metadata``, ``model`` (as sent), ``text``, ``tool_choice`` (``auto`` by
    default), ``tools``, ``temperature``, ``top_p``; ``usage`` has ``input_tokens``, ``output_tokens``,
    ``total_tokens`` and their details (``src/routes/responses.ts``).
  - a failure once started (e.g. the chat call refused: a model no provider serves) is a
    ``response.failed`` event, or, unstreamed, the failed response with HTTP 200, its ``error``
    ``{"code": "server_error", "message"}`` (``src/routes/responses.ts``, ``runCreateResponseStream`` and
    ``postCreateResponse``).
The answer itself is the fake's: a function call when function tools are declared and ``tool_choice`` is
not ``none`` (the named one, else the first), with ``{"asked": <the prompt>}`` as arguments; otherwise
the fake model's words for the prompt, cut at ``max_output_tokens``.
A ``Fault(stream_closed_after=n)`` ends a stream cleanly after ``n`` events, without ``response.completed``:
what a server killed mid-answer may send (a vLLM 0.32.0 SIGKILLed mid-stream closed its socket with FIN,
tests/engines/test_failover.py).
"""

from __future__ import annotations

import os
import time
from typing import Any

import orjson
from aiohttp import web

from tests.fakes import hf_server as hf


async def respond(request: web.Request, body: dict[str, Any], fault: hf.Fault | None = None) -> web.StreamResponse:
    missing = [name for name in ("model", "input") if name not in body]
    if missing:
        issues = [{"code": "invalid_type", "path": [name], "message": "Required"} for name in missing]
        return hf._json({"success": False, "error": issues, "details": issues}, status=400)
    events = list(_events(body))
    if body.get("stream"):
        closed_after = fault.stream_closed_after if fault is not None else None
        return await _stream(request, events if closed_after is None else events[:closed_after])
    return hf._json(events[-1]["response"])


def _events(body: dict[str, Any]) -> list[dict[str, Any]]:
    response = _response(body)
    created = [{"type": "response.created", "response": dict(response)},
               {"type": "response.in_progress", "response": dict(response)}]  # fmt: skip
    model_id = str(body["model"]).partition(":")[0]
    model = hf.HOSTED.get(model_id)
    if model is None or not model.live_chat():
        message = f"400 The requested model '{model_id}' is not supported by any provider you have enabled."
        failed = response | {"status": "failed", "error": {"code": "server_error", "message": message}}
        return _numbered([*created, {"type": "response.failed", "response": failed}])
    prompt = _prompt(body)
    tool = _called_tool(body)
    items = _call_events(tool, prompt) if tool else _text_events(prompt, body.get("max_output_tokens"))
    output = [e["item"] for e in items if e["type"] == "response.output_item.done"]
    written = sum(1 for e in items if e["type"].endswith(".delta"))
    read = len(hf.tokens_of(prompt))
    usage = {"input_tokens": read, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": written,
             "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": read + written}  # fmt: skip
    done = response | {"status": "completed", "output": output, "usage": usage}
    return _numbered([*created, *items, {"type": "response.completed", "response": done}])


def _response(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_at": int(time.time()),
        "error": None,
        "id": f"resp_{os.urandom(12).hex()}",
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata"),
        "model": body["model"],
        "object": "response",
        "output": [],
        "status": "in_progress",
        "text": body.get("text"),
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "temperature": body.get("temperature", 1),
        "top_p": body.get("top_p", 1),
        "usage": None,
    }


def _prompt(body: dict[str, Any]) -> str:
    words = [body.get("instructions") or ""]
    given = body["input"]
    for item in [given] if isinstance(given, str) else given:
        if isinstance(item, str):
            words.append(item)
        elif item.get("type") == "function_call_output":
            words.append(str(item.get("output", "")))
        elif isinstance(item.get("content"), str):
            words.append(item["content"])
        else:
            words.extend(p.get("text", "") for p in item.get("content") or [] if isinstance(p, dict))
    return " ".join(w for w in words if w)


def _called_tool(body: dict[str, Any]) -> str | None:
    tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    return str(choice["name"]) if isinstance(choice, dict) else str(tools[0]["name"])


def _text_events(prompt: str, limit: Any) -> list[dict[str, Any]]:
    tokens = hf.answer_for(prompt)[: limit if isinstance(limit, int) and limit > 0 else None]
    text, item_id = "".join(tokens), f"msg_{os.urandom(8).hex()}"
    part = {"type": "output_text", "text": text, "annotations": []}
    item = {"id": item_id, "type": "message", "role": "assistant", "status": "completed", "content": [part]}
    ids = {"item_id": item_id, "output_index": 0, "content_index": 0}
    opened = item | {"status": "in_progress", "content": []}
    return [
        {"type": "response.output_item.added", "output_index": 0, "item": opened},
        {"type": "response.content_part.added", **ids, "part": part | {"text": ""}},
        *({"type": "response.output_text.delta", **ids, "delta": token} for token in tokens),
        {"type": "response.output_text.done", **ids, "text": text},
        {"type": "response.content_part.done", **ids, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
    ]  # fmt: skip


def _call_events(tool: str, prompt: str) -> list[dict[str, Any]]:
    arguments = orjson.dumps({"asked": prompt}).decode()
    third = max(1, len(arguments) // 3)
    pieces = [arguments[i : i + third] for i in range(0, len(arguments), third)]
    item = {"type": "function_call", "id": f"fc_{os.urandom(8).hex()}", "call_id": hf.FAKE_CALL_ID, "name": tool,
            "arguments": arguments, "status": "completed"}  # fmt: skip
    ids = {"item_id": item["id"], "output_index": 0}
    opened = {k: v for k, v in item.items() if k != "status"} | {"arguments": ""}
    return [
        {"type": "response.output_item.added", "output_index": 0, "item": opened},
        *({"type": "response.function_call_arguments.delta", **ids, "delta": piece} for piece in pieces),
        {"type": "response.function_call_arguments.done", **ids, "arguments": arguments},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
    ]


def _numbered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event | {"sequence_number": n} for n, event in enumerate(events)]


async def _stream(request: web.Request, events: list[dict[str, Any]]) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Connection": "keep-alive"})
    await response.prepare(request)
    for event in events:
        await response.write(b"data: " + orjson.dumps(event) + b"\n\n")
    await response.write_eof()
    return response
