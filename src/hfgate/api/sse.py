"""Server-sent events framing."""

from __future__ import annotations

from typing import Any

import orjson


def sse(data: Any, *, event: str | None = None) -> bytes:
    """One event: ``event: …`` (optional), ``data: <json or text>``, and the blank line that ends it."""
    payload = data if isinstance(data, str) else orjson.dumps(data).decode()
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
