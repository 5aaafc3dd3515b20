"""A batch of the engine (:mod:`hfgate.batches`) as Gemini's batch operation, and its lines' results as
``inlinedResponses``.

States: ``in_progress`` is ``BATCH_STATE_PENDING`` until a line is answered, then ``BATCH_STATE_RUNNING`` (as
are ``finalizing`` and ``cancelling``); ``completed`` is ``BATCH_STATE_SUCCEEDED``, ``failed``
``BATCH_STATE_FAILED``, ``cancelled`` ``BATCH_STATE_CANCELLED``, ``expired`` ``BATCH_STATE_EXPIRED``. Each
request's result is its answer (``response``) when the app answered it 2xx, else ``error``, a google.rpc
``Status`` (``code``: the gRPC code of the answer's status; a request never sent is ``CANCELLED`` or
``DEADLINE_EXCEEDED``). Times are RFC 3339; counts are strings (int64 in proto3 JSON). Source: see
:mod:`.batch_schema`.

Example:
    >>> line_key(3, {"key": "a"})
    '[3,{"key":"a"}]'
    >>> result(None, None, status="cancelled", metadata=None)["error"]["code"]
    1
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from hfgate.batches.store import LineResults, StoredBatch

ENDED = ("completed", "cancelled", "expired", "failed")
"""The engine's statuses of a batch that is over (``done`` operations)."""

_TYPES = {"generateContent": "GenerateContentBatch", "embedContent": "EmbedContentBatch"}
_PACKAGE = "type.googleapis.com/google.ai.generativelanguage.v1main."
_STATES = {"completed": "BATCH_STATE_SUCCEEDED", "failed": "BATCH_STATE_FAILED", "cancelled": "BATCH_STATE_CANCELLED",
           "expired": "BATCH_STATE_EXPIRED"}  # fmt: skip
_CODES = {"CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
          "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
          "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
          "DATA_LOSS": 15, "UNAUTHENTICATED": 16}  # fmt: skip
"""google.rpc.Code's numbers by name."""


def rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def line_key(index: int, metadata: dict[str, Any] | None) -> str:
    """A line's ``custom_id`` on the engine: its index (unique in the batch) and the request's ``metadata``."""
    return orjson.dumps([index, metadata]).decode()


def metadata_of(custom_id: str) -> dict[str, Any] | None:
    """The request's ``metadata`` back from its line's ``custom_id`` (:func:`line_key`)."""
    _, metadata = orjson.loads(custom_id)
    return metadata if isinstance(metadata, dict) else None


def state(status: str, *, answered: int) -> str:
    """Gemini's ``BatchState`` of the engine's ``status``, ``answered`` lines recorded so far."""
    if status in _STATES:
        return _STATES[status]
    return "BATCH_STATE_PENDING" if status == "in_progress" and not answered else "BATCH_STATE_RUNNING"


def operation(stored: StoredBatch, *, counts: dict[str, int], lines: LineResults | None) -> dict[str, Any]:
    """The batch as its operation: ``counts`` the engine's ``request_counts``, ``lines`` its results once it
    is over (``None`` before)."""
    action = stored.endpoint.rsplit(":", 1)[1]
    name = f"batches/{stored.batch_id}"
    about = stored.metadata or {}
    done = stored.status in ENDED
    answered = counts["completed"] + counts["failed"]
    total = counts["total"]
    succeeded = counts["completed"]
    stats = {"requestCount": str(total), "successfulRequestCount": str(succeeded),
             "failedRequestCount": str(total - succeeded if done else counts["failed"]),
             "pendingRequestCount": str(0 if done else total - answered)}  # fmt: skip
    times = [stored.created_at, *stored.times.values()]
    batch: dict[str, Any] = {
        "@type": _PACKAGE + _TYPES[action],
        "name": name,
        "model": about.get("model", ""),
        "displayName": about.get("display_name", ""),
        "state": state(stored.status, answered=answered),
        "createTime": rfc3339(stored.created_at),
        "updateTime": rfc3339(max(times)),
        "batchStats": stats,
    }
    if not done:
        return {"name": name, "metadata": batch, "done": False}
    batch["endTime"] = rfc3339(max(times))
    output: dict[str, Any] = {"inlinedResponses": {"inlinedResponses": [
        result(ok, recorded, status=stored.status, metadata=metadata_of(custom_id))
        for custom_id, ok, recorded in (lines or [])
    ]}}  # fmt: skip
    if about.get("source") == "file":  # written when read: hfgate.api.gemini.files
        output = {"responsesFile": f"files/{stored.batch_id}-responses"}
    batch["output"] = output
    return {"name": name, "metadata": batch, "done": True,
            "response": {"@type": f"{_PACKAGE}{_TYPES[action]}Output", **output}}  # fmt: skip


def result(ok: bool | None, recorded: str | None, *, status: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """One request's ``InlinedResponse``: its answer, or the error it met (with its ``metadata``, if any)."""
    shown: dict[str, Any] = {} if metadata is None else {"metadata": metadata}
    if recorded is None:  # never sent
        if status == "expired":
            return {**shown, "error": _status("DEADLINE_EXCEEDED", "The batch expired before this request ran.")}
        return {**shown, "error": _status("CANCELLED", "The batch was cancelled before this request ran.")}
    line = orjson.loads(recorded)
    response = line.get("response")
    if response is None:  # refused before it was sent, or past the window
        error = line.get("error") or {}
        name = "DEADLINE_EXCEEDED" if error.get("code") == "batch_expired" else "INVALID_ARGUMENT"
        return {**shown, "error": _status(name, str(error.get("message", "")))}
    body = response.get("body")
    if ok:
        return {**shown, "response": body}
    inner = body.get("error") if isinstance(body, dict) else None
    if isinstance(inner, dict):
        return {**shown, "error": _status(str(inner.get("status", "INTERNAL")), str(inner.get("message", "")))}
    return {**shown, "error": _status("INTERNAL", str(body))}


def _status(name: str, message: str) -> dict[str, Any]:
    return {"code": _CODES.get(name, 2), "message": message}
