"""One batch line sent through the app itself, as a request of the batch's key.

The line is handed to the app as an HTTP request that never touched a socket: the same gateway, route and
orchestrator as a client's request to ``url``, so the key's role and endpoints, its limits, usage, price and
budget, the metrics and the access log apply to each line as to any request. The key is named by id in the
request's ASGI ``state`` (:data:`ON_BEHALF_OF`), which only a caller inside the process can set (a server
builds the state of a request it received itself); the gateway reads the key from the registry by that id, so
a key revoked mid-batch fails its remaining lines with 401.

The call runs under ``hfgate.local.batching.priority.background()``: the context variable it sets is copied
into every task the app creates for the line, so a local model's batcher queues the line's texts as
background work, which yields to interactive requests (docs/batches.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message

from hfgate.local.batching.priority import background

ON_BEHALF_OF = "hfgate.batch_key_id"
"""The ASGI state entry naming the key a batch line runs as (its id; ``""``: made while the gateway was open)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the app answered one line: its status, body, request id and ``Retry-After`` (seconds, if sent)."""

    status: int
    body: bytes
    request_id: str
    retry_after: float | None = None


class AppCalls:
    """Sends batch lines to ``app`` (the whole ASGI app, its gateway included)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, *, path: str, body: bytes, key_id: str) -> Answer:
        request_id = f"batch_req_{secrets.token_hex(12)}"
        scope = _scope(path, body=body, request_id=request_id, key_id=key_id)
        sent = False
        status = 500
        headers: dict[bytes, bytes] = {}
        pieces: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.update((k.lower(), v) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                pieces.append(message.get("body", b""))

        with background():  # a local model's batcher lets interactive requests go first
            await self._app(scope, receive, send)
        retry = headers.get(b"retry-after")
        return Answer(status, b"".join(pieces), request_id, float(retry) if retry and retry.isdigit() else None)


def _scope(path: str, *, body: bytes, request_id: str, key_id: str) -> dict[str, Any]:
    headers = [
        (b"host", b"hfgate.batch"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "headers": headers, "client": ("127.0.0.1", 0), "server": ("hfgate.batch", 0),
        "state": {ON_BEHALF_OF: key_id}, "extensions": {},
    }  # fmt: skip
