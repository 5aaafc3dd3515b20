"""``/v1/responses`` over a WebSocket: the Responses API's WebSocket mode (OpenAI's "WebSocket Mode" guide
and its ``websocket-events`` reference; Open Responses' ``x-openresponses-websocket`` extension).

The client opens a WebSocket on ``/v1/responses`` (the gateway key in the handshake's headers, as over
HTTP) and sends ``{"type": "response.create", …}`` events whose other fields are a ``POST /v1/responses``
body (``stream`` implied; ``stream_id`` and ``generate`` are the socket's own). Each is answered, in order,
by the same stream events as over HTTP, one JSON text message each, ending with ``response.completed``
(or ``response.incomplete``, ``response.failed``, ``error``). The connection stays open for the next turn;
when it closes, the access log has a ``responses.socket`` line with the number of turns.

Each turn is served by ``POST /v1/responses`` inside this process, through the whole app (keys, roles,
limits, usage, metrics, the store), so the two transports cannot drift apart; an answer other than a stream
becomes an ``error`` event carrying its HTTP ``status`` and OpenAI's error object.

The socket keeps its last response's conversation, so that ``previous_response_id`` naming it continues it
with ``store: false`` too (what Codex sends): only new input travels; a failed turn forgets it (an unstored
chain then answers ``previous_response_not_found``, and the client starts it again). ``generate: false`` warms up: the
input is kept as that conversation under a new response id, and the model is not asked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.types import Message

from hfgate.api.openai import responses_shapes as shapes
from hfgate.api.openai.errors import render_openai
from hfgate.api.openai.responses_input import read_call
from hfgate.errors import HfGateError, RequestValidationError

router = APIRouter(prefix="/v1")
_log = logging.getLogger("hfgate.access")

_HANDSHAKE = frozenset({
    b"upgrade", b"connection", b"sec-websocket-key", b"sec-websocket-version", b"sec-websocket-extensions",
    b"sec-websocket-protocol", b"content-length", b"content-type",
})  # fmt: skip


@router.websocket("/responses")
async def responses_socket(socket: WebSocket) -> None:
    """One client's turns, answered in order until it closes the socket."""
    await socket.accept()
    lane = Lane(socket)
    try:
        while (message := await socket.receive())["type"] != "websocket.disconnect":
            text = message.get("text")  # a client may send its JSON in a binary frame too
            await lane.turn(text if text is not None else (message.get("bytes") or b"").decode("utf-8", "replace"))
    except WebSocketDisconnect:  # the client went away in the middle of an answer
        pass
    finally:
        _log.info("socket closed", extra={"event": "responses.socket", "path": "/v1/responses", "turns": lane.turns})


class Lane:
    """One connection: its turns, and the conversation its last response ended."""

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self.headers = [(k, v) for k, v in socket.scope["headers"] if k not in _HANDSHAKE]
        self.last_id: str | None = None
        self.conversation: list[dict[str, Any]] = []
        self.turns = 0

    async def turn(self, text: str) -> None:
        self.turns += 1
        try:
            body = self._body(text)
        except HfGateError as exc:
            await self._error(*render_openai("/v1", exc))
            return
        if body.pop("generate", True) is False:
            await self._warm_up(body)
            return
        await self._respond(body)

    def _body(self, text: str) -> dict[str, Any]:
        """The turn's ``POST /v1/responses`` body: the event less its envelope, the socket's conversation
        in place of a ``previous_response_id`` that names its last response."""
        try:
            event = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise RequestValidationError(["a WebSocket message must be a JSON object"], param="type") from exc
        if not isinstance(event, dict) or event.get("type") != "response.create":
            kind = event.get("type") if isinstance(event, dict) else None
            raise RequestValidationError(
                [f'Field [type] must be "response.create" (the one client event), got [{kind}]'], param="type"
            )
        body = {k: v for k, v in event.items() if k not in ("type", "stream_id", "background")}
        if body.get("previous_response_id") is not None and body["previous_response_id"] == self.last_id:
            del body["previous_response_id"]
            new = read_call(body).items if body.get("input") not in (None, "", []) else ()
            body["input"] = [*self.conversation, *new]
        return {**body, "stream": True}

    async def _warm_up(self, body: dict[str, Any]) -> None:
        call = read_call(body)
        response = shapes.response_object(
            response_id=shapes.new_id("resp"), created_at=int(time.time()), model=call.model, echo=call.echo,
            instructions=call.instructions, max_output_tokens=call.params.max_new_tokens,
            parallel_tool_calls=call.parallel_tool_calls, previous_response_id=None, store=False, output=[],
            finish="eos_token", counts=None,
        )  # fmt: skip
        self.last_id, self.conversation = response["id"], list(call.items)
        for number, kind in enumerate(("response.created", "response.completed")):
            await self.socket.send_text(
                orjson.dumps({"type": kind, "sequence_number": number, "response": response}).decode()
            )

    async def _respond(self, body: dict[str, Any]) -> None:
        raw = orjson.dumps(body)
        scope = {
            **{k: v for k, v in self.socket.scope.items() if k in ("asgi", "client", "server", "root_path", "app")},
            "type": "http", "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/v1/responses",
            "raw_path": b"/v1/responses", "query_string": b"",
            "headers": [*self.headers, (b"content-type", b"application/json"),
                        (b"content-length", str(len(raw)).encode())],
            "state": {},
        }  # fmt: skip
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:  # the body is read; a stream listens for the client leaving, which the socket tells instead
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        answer = _Answer(self)
        await self.socket.scope["app"](scope, receive, answer.send)
        await answer.close()
        if answer.final is None:  # a failed turn: its chain is no longer continued from this socket
            self.last_id, self.conversation = None, []
            return
        self.last_id = answer.final["id"]
        self.conversation = _next_conversation(list(read_call(body).items), answer.final.get("output", []))

    async def _error(self, status: int, error: dict[str, Any]) -> None:
        """OpenAI's error event, with the HTTP status the same request would have had."""
        message = {"type": "error", "status": status, **error}
        await self.socket.send_text(orjson.dumps(message).decode())


class _Answer:
    """An HTTP answer of the app, read as it comes: stream events sent on, anything else as an error."""

    def __init__(self, lane: Lane) -> None:
        self.lane = lane
        self.status = 500
        self.buffer = b""
        self.final: dict[str, Any] | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            return
        if message["type"] != "http.response.body":
            return
        self.buffer += message.get("body", b"")
        if self.status != 200:
            return
        *events, self.buffer = self.buffer.split(b"\n\n")
        for event in events:
            await self._event(event)

    async def _event(self, event: bytes) -> None:
        data = b"".join(line[6:] for line in event.split(b"\n") if line.startswith(b"data: "))
        if not data or data == b"[DONE]":
            return
        parsed = orjson.loads(data)
        if parsed.get("type") in ("response.completed", "response.incomplete"):
            self.final = parsed.get("response")
        await self.lane.socket.send_text(data.decode())

    async def close(self) -> None:
        if self.status == 200:
            if self.buffer.strip():
                await self._event(self.buffer)
            return
        try:
            error = orjson.loads(self.buffer)
        except orjson.JSONDecodeError:
            error = {"error": {"message": self.buffer.decode("utf-8", "replace"), "type": "server_error"}}
        await self.lane._error(self.status, error)


def _next_conversation(items: list[dict[str, Any]], output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation a response ends: its input, then what of its output a later turn replays; when the
    server compacted first (``context_management``), the user's messages and the compaction in place of the
    input, as ``responses_compact`` keeps them."""
    compactions = [item for item in output if item.get("type") == "compaction"]
    if compactions:
        users = [item for item in items if item["type"] == "message" and item["role"] == "user"]
        items = [*users, *compactions[-1:]]
    return [*items, *shapes.replayable(output)]
